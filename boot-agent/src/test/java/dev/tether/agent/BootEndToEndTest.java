package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tether-agent boot} from end to end, with the image from a local squashfs file in place of the
 * edges: the program runs in a child JVM in its own mount namespace ({@code unshare -m}), so whatever it
 * mounts disappears with it; the zram device it configured is reset here afterwards.
 */
class BootEndToEndTest {
    private static final String ROOT_IMAGE = "sha256:" + "cd".repeat(32);
    private static final List<String> STEPS = List.of("cmdline", "addon", "preflight", "manifest", "key", "ramdisk",
            "image", "lower", "writable", "overlay", "persistence");

    @TempDir
    Path temp;

    private ManifestServer edge;
    private final ZramJanitor zram = new ZramJanitor();

    @BeforeEach
    void setUp() throws Exception {
        HostRequirements.zram();
        HostRequirements.filesystem("xfs");
        HostRequirements.filesystem("squashfs");
        HostRequirements.filesystem("overlay");
        HostRequirements.tools("mount", "umount", "mkfs.xfs", "mksquashfs", "unshare");
        zram.recordBefore();
        edge = new ManifestServer();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (edge != null) {
            edge.close();
        }
        zram.resetDevicesConfiguredSince();
    }

    @Test
    void bootsTheRootFromTheAddonAndCommandLineWithTimedSteps() throws Exception {
        Path squashfs = SquashfsTrees.pack(SquashfsTrees.sampleFiles(), temp.resolve("tree"), temp.resolve("root.sfs"));
        String image = edge.publish(ManifestServer.manifest(ROOT_IMAGE, Files.size(squashfs), false, null));
        Path addon = Files.writeString(temp.resolve("profile.json"), """
                {"namespace":"tether","profile":"compute","method":"tethered","image":"%s",
                 "edges":["%s"],"nodeApi":[],"futureField":true}
                """.formatted(image, edge.url()));
        Path cmdline = Files.writeString(temp.resolve("cmdline"),
                "BOOT_IMAGE=/vmlinuz boot=tether tether.node=node-7 tether.method=untethered tether.zram=512Mi"
                        + " tether.console=console\n");
        Path target = temp.resolve("sysroot");
        Path runDir = temp.resolve("run");

        Result result = runInOwnMountNamespace(squashfs.toString(), "boot", target.toString(),
                "--cmdline", cmdline.toString(), "--addon", addon.toString(), "--run-dir", runDir.toString());
        zram.adopt(result.output());

        assertThat(result.status()).as(result.output()).isZero();
        List<String> lines = result.output().lines().toList();
        assertThat(lines).contains(
                "tether: node node-7, profile compute, untethered from 1 edge",
                "tether: image " + image.substring(7, 19) + ": debian bookworm, kernel 6.1.0-test, root image cdcdcdcdcdcd ("
                        + (Files.size(squashfs) >> 10) + " KiB, not encrypted)",
                "SOURCE untethered " + ROOT_IMAGE + " edges=1 key=false",
                "HOOK lower-visible=true",
                "VERIFY os-release=PRETTY_NAME=\"Tether test image\"",
                "VERIFY upper-after-boot=written after the hand-over",
                "VERIFY upper-kept=restored by the hook",
                "VERIFY overlay-mounted=true");
        assertThat(lines).anyMatch(line -> line.matches(
                "tether: mounted image " + Pattern.quote(image.substring(7, 19)) + " untethered from 1 edge in [0-9.]+s"));
        assertThat(lines).anyMatch(line -> line.matches("tether: writable layer: zram[0-9]+, 512 MiB \\([a-z0-9-]+\\),"
                + " xfs with discard at " + Pattern.quote(runDir.resolve("rw").toString()) + " in [0-9.]+s"));
        String ready = lines.stream().filter(line -> line.startsWith("tether: root ready at ")).findFirst().orElseThrow();
        assertThat(ready).matches("tether: root ready at " + Pattern.quote(target.toString()) + " in [0-9.]+s \\("
                + String.join(", ", STEPS.stream().map(step -> step + " [0-9]+ms").toList()) + "\\)");
        assertThat(result.output()).doesNotContain("error").doesNotContain("SOURCE closed");

        JsonNode timings = new ObjectMapper().readTree(runDir.resolve("boot-timings.json").toFile());
        List<String> names = new ArrayList<>();
        long inLine = 0;
        for (JsonNode step : timings.get("steps")) {
            names.add(step.get("name").asText());
            long millis = step.get("millis").asLong();
            assertThat(millis).isNotNegative();
            // The writable layer is made beside the image's mount, so its time overlaps theirs.
            inLine += step.get("name").asText().equals("writable") ? 0 : millis;
            assertThat(timings.get("totalMillis").asLong()).as("the boot's time against step " + names.getLast())
                    .isGreaterThanOrEqualTo(millis);
        }
        assertThat(names).isEqualTo(STEPS);
        assertThat(timings.get("totalMillis").asLong()).isGreaterThanOrEqualTo(inLine);
        // The namespace is gone, and with it every mount the boot made.
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(temp.toString());
    }

    @ParameterizedTest(name = "the copy {0}")
    @ValueSource(strings = {"ok", "fails"})
    void anImageServedUntilItsCopyInRamIsCompleteMovesOntoTheCopyAfterTheHandOver(String copy) throws Exception {
        Path squashfs = SquashfsTrees.pack(SquashfsTrees.sampleFiles(), temp.resolve("tree"), temp.resolve("root.sfs"));
        String image = edge.publish(ManifestServer.manifest(ROOT_IMAGE, Files.size(squashfs), false, null));
        Path addon = Files.writeString(temp.resolve("profile.json"), """
                {"namespace":"tether","profile":"compute","method":"untethered","image":"%s","edges":["%s"],"nodeApi":[]}
                """.formatted(image, edge.url()));
        Path cmdline = Files.writeString(temp.resolve("cmdline"), "boot=tether tether.node=node-7 tether.zram=512Mi"
                + " tether.console=console\n");
        Path runDir = temp.resolve("run");

        Result result = runInOwnMountNamespace("--copy=" + copy, squashfs.toString(), "boot",
                temp.resolve("sysroot").toString(), "--cmdline", cmdline.toString(), "--addon", addon.toString(),
                "--run-dir", runDir.toString());
        zram.adopt(result.output());

        assertThat(result.status()).as(result.output()).isZero();
        List<String> lines = result.output().lines().toList();
        // The copy starts once the root is handed over, never before.
        assertThat(lines.indexOf("SOURCE copying")).as(result.output())
                .isGreaterThan(lines.indexOf(lines.stream().filter(l -> l.startsWith("tether: root ready at")).findFirst()
                        .orElseThrow()));
        if (copy.equals("ok")) {
            assertThat(lines).contains("SOURCE stopped serving", "VERIFY lower-reads=" + runDir.resolve("image/copy.sfs"),
                    "VERIFY os-release=PRETTY_NAME=\"Tether test image\"");
            assertThat(lines).anyMatch(line -> line.matches("tether: untethered: the root image is in RAM \\(0 MiB, copied"
                    + " in [0-9.]+s behind the running node\\); the node no longer needs the edges"));
        } else {
            // Still served as it was, and said so; the node runs on.
            assertThat(lines).contains("tether: the root image stays served from the edges, not in RAM:"
                    + " no edge answers", "VERIFY lower-reads=" + squashfs, "VERIFY overlay-mounted=true")
                    .doesNotContain("SOURCE stopped serving");
        }
        assertThat(result.output()).doesNotContain("SOURCE closed").doesNotContain("\tat ");
    }

    @Test
    void aFailingStepUndoesTheOnesBeforeIt() throws Exception {
        Path notSquashfs = Files.writeString(temp.resolve("root.sfs"), "not a squashfs image");
        Path cmdline = Files.writeString(temp.resolve("cmdline"), "tether.edges=" + edge.url() + " tether.rootimage="
                + ROOT_IMAGE + " tether.method=untethered tether.console=console\n");
        Path runDir = temp.resolve("run");
        Result result = runInOwnMountNamespace(notSquashfs.toString(), "boot", temp.resolve("sysroot").toString(),
                "--cmdline", cmdline.toString(), "--addon", temp.resolve("none.json").toString(), "--run-dir", runDir.toString());
        zram.adopt(result.output());

        assertThat(result.status()).isEqualTo(1);
        List<String> errors = result.output().lines().filter(line -> line.startsWith("tether: error:")).toList();
        assertThat(errors).singleElement().asString().startsWith("tether: error: lower failed: mounting squashfs "
                + notSquashfs + " (through /dev/loop").contains(" on " + runDir.resolve("lower") + " failed: ")
                .endsWith("must be a squashfs image");
        // The image was withdrawn and the tmpfs unmounted before the process exited, not left to the namespace.
        assertThat(result.output()).contains("SOURCE closed").doesNotContain("\tat ").doesNotContain("VERIFY");
        // The writable layer, made beside the image's mount, was undone too: its zram device is free again (a mount
        // namespace does not cover zram).
        List<String> left = zram.configuredSinceBefore();
        zram.adopt(left);
        assertThat(left).as("zram devices the failed boot left configured").isEmpty();
        assertThat(runDir.resolve("boot-timings.json")).doesNotExist();
    }

    private record Result(int status, String output) {
    }

    private Result runInOwnMountNamespace(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private",
                ProcessHandle.current().info().command().orElseThrow(), "-cp", System.getProperty("java.class.path"),
                LocalImageBoot.class.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("the agent finished within a minute").isTrue();
        String text = new String(output, StandardCharsets.UTF_8);
        System.out.println(text);
        return new Result(process.exitValue(), text);
    }

    /** Resets the zram devices a child configured: a mount namespace does not cover zram. */
    private static final class ZramJanitor {
        private static final Pattern DEVICE = Pattern.compile("writable layer: (zram[0-9]+)");
        private final List<String> configuredBefore = new ArrayList<>();
        private final List<String> adopted = new ArrayList<>();

        void recordBefore() throws Exception {
            try (var devices = Files.list(Path.of("/sys/block"))) {
                for (Path device : devices.filter(d -> d.getFileName().toString().startsWith("zram")).toList()) {
                    if (!Files.readString(device.resolve("disksize")).strip().equals("0")) {
                        configuredBefore.add(device.getFileName().toString());
                    }
                }
            }
        }

        /** The zram devices configured now that were not before the test. */
        List<String> configuredSinceBefore() throws Exception {
            List<String> now = new ArrayList<>();
            try (var devices = Files.list(Path.of("/sys/block"))) {
                for (Path device : devices.filter(d -> d.getFileName().toString().startsWith("zram")).toList()) {
                    String name = device.getFileName().toString();
                    if (!configuredBefore.contains(name) && !Files.readString(device.resolve("disksize")).strip().equals("0")) {
                        now.add(name);
                    }
                }
            }
            return now;
        }

        void adopt(List<String> devices) {
            devices.stream().filter(name -> !adopted.contains(name)).forEach(adopted::add);
        }

        void adopt(String output) {
            Matcher matcher = DEVICE.matcher(output);
            while (matcher.find()) {
                if (!configuredBefore.contains(matcher.group(1))) {
                    adopted.add(matcher.group(1));
                }
            }
        }

        /** The namespace's unmounts finish asynchronously, so a reset may briefly find the device busy. */
        void resetDevicesConfiguredSince() throws Exception {
            for (String name : adopted) {
                Path reset = Path.of("/sys/block", name, "reset");
                // The kernel says busy (EBUSY) until the last unmount lets go; there is no event for it, so polled,
                // with the patience of a busy machine.
                await("zram device " + name + " reset after the agent exited (it stayed busy)")
                        .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                        .ignoreExceptionsInstanceOf(IOException.class)
                        .until(() -> {
                            Files.writeString(reset, "1");
                            return true;
                        });
                if (!name.equals("zram0") && Files.exists(Path.of("/sys/class/zram-control/hot_remove"))) {
                    Files.writeString(Path.of("/sys/class/zram-control/hot_remove"), name.substring(4));
                }
            }
        }
    }
}

package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.agent.AgentFootprint;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real agent bundle (target/agent-bundle, as {@code package} built it), run as the initramfs runs it:
 * {@code bin/tether-agent}, which mounts the runtime's squashfs (the jlinked JDK and the shaded jar) and runs the
 * JVM from it. Proves that the trimmed jar still holds what is only reached through JNA or reflection, and measures
 * what the tethered agent costs a node.
 *
 * <p>Runs in the {@code integration-test} phase (after {@code package}), which sets {@code tether.agentBundle}.
 */
class AgentBundleTest {
    /**
     * Issue #16's target for the tethered agent's whole cost on a running node, which the test waits for and then
     * holds the agent to. Measured here: 79.5 to 80.0 MiB once settled with the AOT cache (anonymous 58.3 to 58.8, the
     * runtime's squashfs 21.2), 85.5 to 87.1 MiB without it (anonymous 69.6 to 71.3, squashfs 15.9); with 16 KiB chunks
     * 94.1 and 101.4 MiB right after the reads, and 80.8 and 83.9 since the launcher fixes glibc's mmap threshold;
     * earlier 83 to 96 MiB with Jackson's databind, 123 MiB with the runtime's files unpacked on the tmpfs, 256 MiB before issue #16's
     * changes. Until the AOT cache this test held the agent to 104 MiB only, room for a loaded machine where the
     * compiler's memory may not have gone back yet; the test waits up to a minute for that.
     */
    static final long NODE_MEMORY_TARGET = 96L << 20;
    /** Where the launcher runs the agent's jar from: the runtime's squashfs, mounted. */
    private static final String RUNTIME_JAR = "runtime/lib/tether-agent.jar";
    private static final Pattern ZRAM = Pattern.compile("writable layer: (zram[0-9]+)");

    @TempDir
    Path dir;
    private Path bundle;
    private Path ramCopy;
    private TestEdges edges;
    private Process agentLauncher;
    private Optional<ProcessHandle> agent = Optional.empty();
    private String zramDevice;

    @BeforeEach
    void findBundle() {
        String built = System.getProperty("tether.agentBundle");
        assumeTrue(built != null, "SKIPPED: the agent bundle is tested after package (./mvnw -pl boot-agent -am verify)");
        bundle = Path.of(built);
        assumeTrue(Files.isExecutable(bundle.resolve("bin/tether-agent")), "SKIPPED: no agent bundle at " + bundle);
    }

    @AfterEach
    void stop() throws Exception {
        agent.ifPresent(ProcessHandle::destroyForcibly);
        agent.ifPresent(handle -> handle.onExit().join());
        if (agentLauncher != null) {
            agentLauncher.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
        if (edges != null) {
            edges.close();
        }
        if (zramDevice != null) {
            // A mount namespace does not cover zram; the device the boot configured is reset here, once the
            // namespace's end has unmounted it.
            Path reset = Path.of("/sys/block", zramDevice, "reset");
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                Files.writeString(reset, "1");
                return true;
            });
        }
        if (ramCopy != null) {
            try (Stream<Path> files = Files.walk(ramCopy)) {
                for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    @Test
    void selftestLoadsEveryNativeLibraryReadsJsonAndMakesEveryHostKeyType() throws Exception {
        Tools.assumeRealMounts();
        // The launcher mounts the runtime's squashfs; in a mount namespace of its own, which ends with it.
        List<String> command = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private",
                bundle.resolve("bin/tether-agent").toString(), "selftest"));
        Path runtime = dir.resolve("runtime");
        boolean librariesHere = Files.exists(Path.of("/dev/fuse"))
                && Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libtss2-esys.so.0"));
        if (librariesHere) {
            command.add("--require-libraries");
        }
        ProcessBuilder selftest = new ProcessBuilder(command).redirectErrorStream(true);
        selftest.environment().put("TETHER_AGENT_RUNTIME", runtime.toString());
        Process process = selftest.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        System.out.println(output);
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("selftest: jna: ok", "selftest: json: ok", "selftest: hostkey ed25519: ok",
                "selftest: hostkey ecdsa: ok", "selftest: hostkey rsa: ok", "selftest: tls: ok", "selftest: aes-gcm: ok",
                "selftest: every required check passed");
        // The launcher has the node API's TLS offer P-256 alone: one key share, one curve's code in the handshake.
        assertThat(output).containsPattern("selftest: tls: ok \\(TLSv1.3 TLS_[A-Z0-9_]+, key exchange offered secp256r1, with the node API client");
        if (librariesHere) {
            assertThat(output).contains("selftest: fuse: ok (/dev/fuse opens", "selftest: tpm: ok");
        }
    }

    /**
     * The bundle is built on one machine and boots others, whose CPUs may lack instructions the build host has (AVX-512,
     * AVX2): the runtime and its AOT cache must not carry code made for the build host's CPU, which a node dies on
     * with SIGILL before it prints a line (the first VM boot with the cache did). Here the unpacked runtime, AOT cache
     * included, runs its selftest through the launcher on qemu's user-mode emulation of a baseline x86-64 CPU
     * ({@code qemu64}: SSE3, no AVX, no AES-NI), the launcher's {@code bin/java} being a stand-in that starts the real
     * one there.
     */
    @Test
    void theRuntimeAndItsAotCacheRunOnACpuWithoutTheBuildHostsExtensions() throws Exception {
        assumeTrue(System.getProperty("os.arch").equals("amd64"), "SKIPPED: the baseline CPU here is x86-64's");
        assumeTrue(Tools.onPath("qemu-x86_64"), "SKIPPED: no qemu-x86_64 (apt install qemu-user) to emulate a baseline CPU");
        Path runtime = dir.resolve("agent-runtime");
        copy(bundle.resolveSibling("agent-runtime"), runtime);
        assertThat(runtime.resolve("lib/tether-agent.aot")).as("the AOT cache make-bundle.sh trained").isNotEmptyFile();
        Files.move(runtime.resolve("bin/java"), runtime.resolve("bin/java.real"));
        Files.writeString(runtime.resolve("bin/java"), "#!/bin/sh\nexec qemu-x86_64 -cpu qemu64 \"${0%/*}/java.real\" \"$@\"\n");
        runtime.resolve("bin/java").toFile().setExecutable(true);
        // The launcher reads no boot command line here, and runs the selftest with the cache as a boot would.
        ProcessBuilder selftest = new ProcessBuilder(runtime.resolve("bin/tether-agent").toString(), "selftest")
                .redirectErrorStream(true);
        selftest.environment().put("TETHER_AGENT_CMDLINE", "/nonexistent");
        Process process = selftest.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(5, TimeUnit.MINUTES)).isTrue();
        System.out.println("selftest on an emulated qemu64 CPU:\n" + output);
        assertThat(output).doesNotContain("SIGILL", "[aot]");
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("selftest: tls: ok", "selftest: aes-gcm: ok", "selftest: every required check passed");
    }

    /**
     * {@code tether-agent boot}, tethered from three real edges, with the bundle on a tmpfs as in an initramfs;
     * then every file of the root and the whole image are read through the mounts, and the agent's cost is measured from
     * its /proc: right after, and at its lowest within a minute, once the compiler's memory went back.
     */
    @Test
    void tetheredAgentCostsTheNodeAtMostItsBudgetAfterReadingTheWholeImage() throws Exception {
        Tools.assumeRealMounts();
        TestImage image = TestImage.shared();
        String output = bootFromTheBundle("tethered", image);
        agent = ProcessHandle.allProcesses().filter(p -> p.info().arguments().map(List::of).orElse(List.of())
                .contains(ramCopy.resolve(RUNTIME_JAR).toString())).findFirst();
        assertThat(agent).as("the agent's JVM, still serving the root").isPresent();

        Path proc = Path.of("/proc", Long.toString(agent.get().pid()));
        AgentFootprint afterReading = AgentFootprint.measure(proc);
        // Its CPU for the boot and the reads (/proc/PID/stat's utime and stime, after the command name's parentheses,
        // in the kernel's USER_HZ of 100 a second): what serving the root costs a node's cores.
        String statLine = Files.readString(proc.resolve("stat"));
        String[] stat = statLine.substring(statLine.lastIndexOf(')') + 2).split(" ");
        Matcher atRoot = Pattern.compile("(?m)^CPU-AT-ROOT-READY (\\d+) (\\d+)$").matcher(output);
        assertThat(atRoot.find()).as("the agent's CPU when the root was ready, in:\n" + output).isTrue();
        System.out.printf(Locale.ROOT, "tethered agent's CPU: %.2f s user, %.2f s system by the root's hand-over; %.2f s"
                + " user, %.2f s system after every file and the whole image were read%n", Long.parseLong(atRoot.group(1))
                / 100.0, Long.parseLong(atRoot.group(2)) / 100.0, Long.parseLong(stat[11]) / 100.0,
                Long.parseLong(stat[12]) / 100.0);
        // The compiler's scratch memory goes back to the system a few seconds after the reads stop (the
        // launcher's -XX:TrimNativeHeapInterval): what the node pays for its whole life is the settled figure,
        // waited for until it is within the target (and asserted below, with the figures, when it never gets there).
        AtomicReference<AgentFootprint> settled = new AtomicReference<>(afterReading);
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                AgentFootprint now = AgentFootprint.measure(proc);
                if (now.totalBytes() < settled.get().totalBytes()) {
                    settled.set(now);
                }
                return settled.get().totalBytes() <= NODE_MEMORY_TARGET;
            });
        } catch (ConditionTimeoutException e) {
            // Asserted below, with the figures.
        }
        String status = Files.readString(proc.resolve("status"));
        System.out.println("tethered agent, whole image (" + Files.size(image.squashfs) / (1 << 20) + " MiB) read: "
                + afterReading.describe() + "; once the compiler's memory went back: " + settled.get().describe() + "; issue #16's target "
                + AgentFootprint.mib(NODE_MEMORY_TARGET));
        System.out.println(status.lines().filter(line -> line.matches("(VmHWM|VmRSS|RssAnon|RssFile|RssShmem|Threads):.*"))
                .map(String::strip).collect(Collectors.joining("; ")));
        assertThat(output).contains("LAUNCHER-DONE", "root ready at", "RUNTIME-MOUNTED");
        // Its class metadata comes from the AOT cache: a JVM that refused the cache (options unlike the training's, another
        // runtime) still boots, but with 12 MiB more metaspace, and says so only in a console line.
        assertThat(Files.readString(proc.resolve("maps"))).as("the agent maps its AOT cache")
                .contains(ramCopy.resolve("runtime/lib/tether-agent.aot").toString());
        assertThat(output).doesNotContain("[aot]");
        // The runtime's squashfs on the tmpfs, counted through its loop device.
        assertThat(settled.get().heldFileBytes()).as("the runtime's squashfs on the tmpfs")
                .isGreaterThanOrEqualTo(Files.size(ramCopy.resolve("agent.squashfs")));
        assertThat(settled.get().totalBytes()).as(settled.get().describe()).isLessThanOrEqualTo(NODE_MEMORY_TARGET);
    }

    /** An untethered boot through the launcher, which gives it a larger heap for its parallel download. */
    @Test
    void untetheredBootDownloadsTheImageAndTheAgentEnds() throws Exception {
        Tools.assumeRealMounts();
        TestImage image = TestImage.shared();
        String output = bootFromTheBundle("untethered", image);
        assertThat(output).contains("LAUNCHER-DONE", "root ready at", "untethered from 3 edges").doesNotContain("OutOfMemory");
        // The launcher waited for the agent's end and unmounted its runtime: nothing of it is left in RAM.
        assertThat(output).doesNotContain("RUNTIME-MOUNTED");
        // It wrote its ready file just before it exits.
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(List::of).orElse(List.of())
                        .contains(ramCopy.resolve(RUNTIME_JAR).toString()))).as("no agent left").isEmpty());
    }

    /**
     * Boots from three edges with the bundle copied to a tmpfs, as the initramfs holds it, in a private mount
     * namespace; after the launcher returns the image file is read whole. Returns the console once it was.
     */
    private String bootFromTheBundle(String method, TestImage image) throws Exception {
        Tools.assumeRealMounts();
        assumeTrue(Files.isDirectory(Path.of("/sys/block/zram0")) || Files.exists(Path.of("/sys/class/zram-control")),
                "SKIPPED: no zram (modprobe zram); the boot's writable layer needs it");
        assumeTrue(Files.isDirectory(Path.of("/dev/shm")), "SKIPPED: no /dev/shm tmpfs to hold the bundle as an initramfs does");
        assumeTrue(Tools.onPath("mkfs.xfs"), "SKIPPED: mkfs.xfs (xfsprogs) is needed for the writable layer");
        edges = TestEdges.start(dir, image.container, 3);
        ramCopy = Files.createTempDirectory(Path.of("/dev/shm"), "tether-agent-bundle-");
        copy(bundle, ramCopy);

        Path cmdline = Files.writeString(dir.resolve("cmdline"), "boot=tether tether.method=" + method + " tether.rootimage="
                + image.digest + " tether.edges=" + edges.urls().stream().map(URI::toString).collect(Collectors.joining(","))
                + " tether.zram=512Mi tether.console=console\n");
        Path key = Files.writeString(dir.resolve("key"), image.keyHex());
        Path run = dir.resolve("run");
        Path target = dir.resolve("sysroot");
        Path log = dir.resolve("agent.log");
        // The launcher returns once the root is ready; then every file of the root is read as a node's programs read
        // them (through the overlay, the squashfs and its loop device), and the whole image file besides (through FUSE
        // when tethered),
        // and the namespace lives on with the agent until the test ends it.
        String script = "\"$1\" boot \"$2\" --cmdline \"$3\" --addon /nonexistent --key-file \"$4\" --run-dir \"$5\""
                + " || exit $?; echo LAUNCHER-DONE; grep -q \" ${1%/bin/tether-agent}/runtime \" /proc/self/mountinfo"
                + " && echo RUNTIME-MOUNTED; pid=$(pgrep -f -o '[t]ether-agent.jar');"
                + " [ -n \"$pid\" ] && echo \"CPU-AT-ROOT-READY $(sed 's/.*) //' /proc/$pid/stat | cut -d' ' -f12,13)\";"
                + " find \"$2\" -xdev -type f -exec cat {} + > /dev/null; echo FILES-READ;"
                + " cat \"$5/image/" + RootImageMount.FILE_NAME + "\" > /dev/null"
                + " && echo IMAGE-READ; exec sleep 600";
        ProcessBuilder launcher = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                ramCopy.resolve("bin/tether-agent").toString(), target.toString(), cmdline.toString(), key.toString(),
                run.toString()).redirectErrorStream(true).redirectOutput(log.toFile());
        // The launcher reads the same command line as the agent.
        launcher.environment().put("TETHER_AGENT_CMDLINE", cmdline.toString());
        // The runtime's mount point beside the copy, not the node's /run/tether/agent-runtime.
        launcher.environment().put("TETHER_AGENT_RUNTIME", ramCopy.resolve("runtime").toString());
        agentLauncher = launcher.start();
        String output = awaitLine(log, "IMAGE-READ");
        Matcher zram = ZRAM.matcher(output);
        zramDevice = zram.find() ? zram.group(1) : null;
        return output;
    }

    private String awaitLine(Path log, String line) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (System.nanoTime() < deadline) {
            String text = Files.exists(log) ? Files.readString(log) : "";
            if (text.lines().anyMatch(line::equals)) {
                return text;
            }
            if (!agentLauncher.isAlive()) {
                throw new AssertionError("the agent stopped before " + line + ":\n" + text);
            }
            agentLauncher.waitFor(200, TimeUnit.MILLISECONDS);
        }
        throw new AssertionError("no " + line + " within 5 minutes:\n" + Files.readString(log));
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : files.toList()) {
                Path copy = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(copy);
                } else {
                    Files.copy(file, copy, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES,
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}

package dev.tether.agent.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher script (src/bundle/tether-agent) with a stand-in {@code bin/java}: how it supervises
 * {@code boot} (the script returns when the agent is ready, the agent lives on) and which JVM options it passes.
 */
class LauncherTest {
    private static final Path LAUNCHER = Path.of("src/bundle/tether-agent");

    @TempDir
    Path bundle;
    private Path log;

    @BeforeEach
    void setUp() throws Exception {
        Files.createDirectories(bundle.resolve("bin"));
        Files.createDirectories(bundle.resolve("lib"));
        Files.copy(LAUNCHER, bundle.resolve("bin/tether-agent"));
        executable(bundle.resolve("bin/tether-agent"));
        log = bundle.resolve("java.log");
    }

    /** A bin/java that logs its arguments and environment mark, then runs {@code body} (sh, $ready is set). */
    private void javaDoes(String body) throws Exception {
        javaDoes(body, bundle.resolve("bin/java"));
    }

    private Path javaThatLogs() throws Exception {
        Path java = bundle.resolve("java-stand-in");
        javaDoes("exit 0", java);
        return java;
    }

    private void javaDoes(String body, Path java) throws Exception {
        Files.writeString(java, """
                #!/bin/sh
                echo "args: $*" >> "%s"
                echo "supervised: ${TETHER_AGENT_SUPERVISED-no} arenas: ${MALLOC_ARENA_MAX-} mmap threshold: ${MALLOC_MMAP_THRESHOLD_-}" >> "%s"
                echo "runtime mount: ${TETHER_AGENT_RUNTIME_MOUNT-none}" >> "%s"
                echo "environment: ${JAVA_TOOL_OPTIONS-} ${JDK_JAVA_OPTIONS-} ${_JAVA_OPTIONS-} ${LD_PRELOAD-} ${LD_AUDIT-} ${MALLOC_MMAP_MAX_-} ${MALLOC_TOP_PAD_-} ${MALLOC_CHECK_-}" >> "%s"
                ready=
                while [ $# -gt 0 ]; do
                    [ "$1" = --ready-file ] && ready=$2
                    shift
                done
                %s
                """.formatted(log, log, log, log, body));
        executable(java);
    }

    @Test
    void bootReturnsOnceTheAgentIsReadyAndTheAgentLivesOn() throws Exception {
        Path alive = bundle.resolve("alive");
        javaDoes("echo ready > \"$ready\"; sleep 3; echo still here > " + alive);
        Instant start = Instant.now();
        Run run = launch("boot", "/sysroot");
        assertThat(run.status()).isZero();
        assertThat(Duration.between(start, Instant.now())).as("returned before the agent ended").isLessThan(Duration.ofSeconds(3));
        String calls = Files.readString(log);
        assertThat(calls).contains("supervised: 1 arenas: 2 mmap threshold: 131072").contains("-jar " + bundle.toRealPath() + "/lib/tether-agent.jar boot /sysroot --ready-file ");
        assertThat(calls.lines().filter(line -> line.startsWith("args:")).count()).as("one JVM started").isEqualTo(1);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(alive));
    }

    @Test
    void bootPassesOnTheStatusOfAnAgentThatFailed() throws Exception {
        javaDoes("echo 'tether: error: no edge'; exit 1");
        Run run = launch("boot", "/sysroot");
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.output()).contains("tether: error: no edge");
    }

    @Test
    void bootThatIsReadyAndEndsAtOnceSucceeds() throws Exception {
        // Untethered: nothing left to serve, so the agent writes the ready file and exits.
        javaDoes("echo ready > \"$ready\"; exit 0");
        assertThat(launch("boot", "/sysroot").status()).isZero();
        try (var left = Files.list(Path.of("/run"))) {
            assertThat(left.map(Path::toString).filter(name -> name.contains("tether-agent." ))).isEmpty();
        }
    }

    @Test
    void otherCommandsRunInTheForegroundWithTheMemoryBounds() throws Exception {
        javaDoes("echo version; exit 3");
        Run run = launch("--version");
        assertThat(run.status()).isEqualTo(3);
        assertThat(run.output()).contains("version");
        String calls = Files.readString(log);
        assertThat(calls).contains("supervised: no");
        assertThat(calls).contains("-Xmx32m", "-XX:MaxDirectMemorySize=48m", "-XX:MaxMetaspaceSize=",
                "-XX:ReservedCodeCacheSize=", "-XX:+UseSerialGC", "-Djna.boot.library.path=" + bundle.toRealPath() + "/lib",
                "-Djdk.tls.namedGroups=secp256r1");
        assertThat(calls).doesNotContain("--ready-file");
    }

    @Test
    void theJvmMapsTheBundlesAotCacheAtItsOwnAddressOrRunsWithoutClassSharing() throws Exception {
        javaDoes("exit 0");
        launch("--version");
        Files.writeString(bundle.resolve("lib/tether-agent.aot"), "stand-in");
        launch("--version");
        List<String> calls = Files.readString(log).lines().filter(line -> line.startsWith("args:")).toList();
        assertThat(calls.get(0)).contains("-Xshare:off").doesNotContain("AOTCache");
        assertThat(calls.get(1)).contains("-XX:AOTCache=" + bundle.toRealPath() + "/lib/tether-agent.aot",
                "-XX:ArchiveRelocationMode=0").doesNotContain("-Xshare:off");
    }

    @Test
    void trainingTheAotCacheRunsTheSelftestWritingTheCacheWithTheBootsOptions() throws Exception {
        javaDoes("exit 0");
        Files.writeString(bundle.resolve("lib/tether-agent.aot"), "an older one");
        assertThat(launch("train-aot-cache", "/tmp/new.aot").status()).isZero();
        String args = Files.readString(log).lines().filter(line -> line.startsWith("args:")).findFirst().orElseThrow();
        assertThat(args).contains("-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED", "-XX:AOTCacheOutput=/tmp/new.aot")
                .endsWith("-jar " + bundle.toRealPath() + "/lib/tether-agent.jar selftest")
                .doesNotContain("-Xshare:off", "-XX:AOTCache=");
        assertThat(launch("train-aot-cache").status()).as("no file named").isEqualTo(64);
    }

    @Test
    void aProfileChangesMemoryBoundsOnlyThroughTetherJvm() throws Exception {
        javaDoes("exit 0");
        Path cmdline = Files.writeString(bundle.resolve("cmdline"), "BOOT_IMAGE=/vmlinuz boot=tether"
                + " tether.jvm=-XX:MaxDirectMemorySize=160m,-Xmx48m,-XX:OnError=reboot,-javaagent:/x.jar,-Xss1m;x"
                + " tether.node=n1\n");
        Run run = launch(Map.of("TETHER_AGENT_CMDLINE", cmdline.toString()), "--version");
        assertThat(run.status()).isZero();
        String args = Files.readString(log).lines().filter(line -> line.startsWith("args:")).findFirst().orElseThrow();
        assertThat(args).endsWith("-XX:MaxDirectMemorySize=160m -Xmx48m -jar " + bundle.toRealPath() + "/lib/tether-agent.jar --version");
        assertThat(args).doesNotContain("OnError", "javaagent", "-Xss1m;x");
        assertThat(run.output()).contains("tether: ignoring tether.jvm option -XX:OnError=reboot",
                "tether: ignoring tether.jvm option -javaagent:/x.jar", "tether: ignoring tether.jvm option -Xss1m;x");
    }

    /**
     * The kernel takes a double-quoted value with spaces ({@code tether.jvm="-Xmx48m -XX:OnError=reboot"}) and keeps the
     * quotes in /proc/cmdline; the launcher splits the line on spaces, not as the kernel does. Neither half may reach
     * the JVM: the first starts with a quote, which is no memory bound, and the second is not a tether.jvm= word. A
     * shell pattern among the options ({@code -Xmx4*}) is not expanded into what the launcher's directory holds.
     */
    @Test
    void aQuotedOrPatternTetherJvmValueCarriesNoOptionPastTheCheck() throws Exception {
        javaDoes("exit 0");
        Files.writeString(bundle.resolve("-Xmx4m"), "a file named as an allowed option");
        Path cmdline = Files.writeString(bundle.resolve("cmdline"), "boot=tether tether.jvm=\"-Xmx48m -XX:OnError=reboot\""
                + " tether.jvm=\"-Xss1m,-XX:+UnlockDiagnosticVMOptions\" tether.jvm=-Xmx4*,-Xms8m tether.node=n1\n");
        Run run = launchIn(bundle, Map.of("TETHER_AGENT_CMDLINE", cmdline.toString()), "--version");
        assertThat(run.status()).isZero();
        String args = Files.readString(log).lines().filter(line -> line.startsWith("args:")).findFirst().orElseThrow();
        assertThat(args).endsWith(" -Xms8m -jar " + bundle.toRealPath() + "/lib/tether-agent.jar --version");
        assertThat(args).doesNotContain("OnError", "Unlock", "-Xmx48m", "-Xss1m", "-Xmx4", "\"");
        assertThat(run.output()).contains("tether: ignoring tether.jvm option \"-Xmx48m",
                "tether: ignoring tether.jvm option -XX:+UnlockDiagnosticVMOptions\"", "tether: ignoring tether.jvm option -Xmx4*");
    }

    @Test
    void optionsSmuggledInTheEnvironmentNeverReachTheJvm() throws Exception {
        // What the kernel would pass to init from a command line with JAVA_TOOL_OPTIONS=-XX:OnError=... on it: the JVM
        // would take these, though tether.jvm= refuses the same options, and run them before the TPM is locked.
        javaDoes("exit 0");
        Map<String, String> smuggled = Map.ofEntries(Map.entry("TETHER_AGENT_CMDLINE", "/nonexistent"),
                Map.entry("JAVA_TOOL_OPTIONS", "-XX:OnError=reboot"), Map.entry("JDK_JAVA_OPTIONS", "-javaagent:/x.jar"),
                Map.entry("_JAVA_OPTIONS", "-XX:+UnlockDiagnosticVMOptions"), Map.entry("LD_PRELOAD", "/tmp/x.so"),
                Map.entry("LD_AUDIT", "/tmp/y.so"),
                // glibc's malloc settings: a node's memory bound is the launcher's to set, not the command line's.
                Map.entry("MALLOC_ARENA_MAX", "64"), Map.entry("MALLOC_MMAP_THRESHOLD_", "33554432"),
                Map.entry("MALLOC_MMAP_MAX_", "0"), Map.entry("MALLOC_TOP_PAD_", "1073741824"), Map.entry("MALLOC_CHECK_", "3"));
        assertThat(launch(smuggled, "--version").status()).isZero();
        assertThat(launch(smuggled, "boot", "/sysroot").status()).as("boot, with a stand-in that exits at once")
                .isZero();
        List<String> environments = Files.readString(log).lines().filter(line -> line.startsWith("environment:")).toList();
        assertThat(environments).hasSize(2).allSatisfy(line -> assertThat(line.strip()).isEqualTo("environment:"));
        assertThat(Files.readString(log).lines().filter(line -> line.startsWith("supervised:")))
                .hasSize(2).allSatisfy(line -> assertThat(line).endsWith("arenas: 2 mmap threshold: 131072"));
    }

    @Test
    void anUntetheredBootGetsTheHeapItsDownloadNeeds() throws Exception {
        javaDoes("exit 0");
        Path cmdline = Files.writeString(bundle.resolve("cmdline"), "boot=tether tether.method=untethered tether.node=n1\n");
        assertThat(launch(Map.of("TETHER_AGENT_CMDLINE", cmdline.toString()), "--version").status()).isZero();
        assertThat(Files.readString(log)).contains("-Xmx192m").doesNotContain("-Xmx32m");
        // It boots as a tethered node does, the download behind the running node: the same JIT thresholds.
        assertThat(Files.readString(log)).contains("-XX:CompileThresholdScaling=30 ");
    }

    @Test
    void anUntetheredBootReturnsOnceTheAgentIsReadyWhileTheAgentCopiesTheImage() throws Exception {
        Path ended = bundle.resolve("ended");
        javaDoes("echo ready > \"$ready\"; sleep 3; echo copied > " + ended);
        Path cmdline = Files.writeString(bundle.resolve("cmdline"), "boot=tether tether.method=untethered tether.node=n1\n");
        Instant start = Instant.now();
        assertThat(launch(Map.of("TETHER_AGENT_CMDLINE", cmdline.toString()), "boot", "/sysroot").status()).isZero();
        assertThat(Duration.between(start, Instant.now())).as("returned before the agent ended").isLessThan(Duration.ofSeconds(3));
        assertThat(ended).as("the agent still running").doesNotExist();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(ended));
    }

    /** As shipped, the runtime is a squashfs the launcher mounts (at TETHER_AGENT_RUNTIME here) and runs the JVM from. */
    @Test
    void theJvmRunsFromTheMountedRuntime() throws Exception {
        Files.writeString(bundle.resolve("agent.squashfs"), "stands for the runtime; runtime/ is as if mounted");
        Path runtime = Files.createDirectories(bundle.resolve("runtime/bin"));
        Files.move(javaThatLogs(), runtime.resolve("java"));
        assertThat(launch("--version").status()).isZero();
        String real = bundle.toRealPath() + "/runtime/lib";
        assertThat(Files.readString(log)).contains("-Djna.boot.library.path=" + real, "-jar " + real + "/tether-agent.jar --version");
        // The agent detaches it when it ends after the boot (untethered).
        assertThat(Files.readString(log)).contains("runtime mount: " + bundle.resolve("runtime") + "\n");
    }

    @Test
    void aRuntimeThatCannotBeMountedEndsTheLauncherWithAConsoleLineAndStatus69() throws Exception {
        javaDoes("exit 0");
        Files.writeString(bundle.resolve("agent.squashfs"), "not a squashfs");
        Run run = launch("boot", "/sysroot");
        assertThat(run.status()).isEqualTo(69);
        assertThat(run.output()).contains("tether: cannot mount the agent's runtime (" + bundle.toRealPath() + "/agent.squashfs on "
                + bundle.toRealPath() + "/runtime)");
        assertThat(log).as("no JVM ran").doesNotExist();
    }

    private record Run(int status, String output) {
    }

    private Run launch(String... args) throws Exception {
        return launch(Map.of("TETHER_AGENT_CMDLINE", "/nonexistent"), args);
    }

    private Run launch(Map<String, String> environment, String... args) throws Exception {
        return launchIn(null, environment, args);
    }

    /** As {@link #launch(Map, String...)}, from {@code directory} (null: this test's own). */
    private Run launchIn(Path directory, Map<String, String> environment, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(bundle.resolve("bin/tether-agent").toString()));
        command.addAll(List.of(args));
        // Into a file, not a pipe: an agent that lives on keeps its output open, and the launcher must not wait for it.
        Path output = Files.createTempFile(bundle, "output", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
                .directory(directory == null ? null : directory.toFile());
        builder.environment().remove("TETHER_AGENT_SUPERVISED");
        // Not /run/tether/agent-runtime: the runtime's mount point, in the bundle for the test.
        builder.environment().put("TETHER_AGENT_RUNTIME", bundle.resolve("runtime").toString());
        builder.environment().putAll(environment);
        Process process = builder.start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    }

    private static void executable(Path file) throws Exception {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}

package dev.tether.imgutil.initramfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.imgutil.util.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The initramfs-tools boot script's mountroot, run by klibc's sh as a node's initramfs runs it: the agent is started
 * before the network is configured (its JVM starts meanwhile) and begins only once the script says the network is up;
 * its exit status decides whether the boot goes on. The initramfs's own functions (modprobe, udev, DHCP, panic) are
 * stand-ins that say when they ran; the script's file under /run lands on a tmpfs of a mount namespace of its own.
 * Needs root (the namespace) and klibc-utils.
 */
class InitramfsMountrootTest {
    private static final Path SCRIPT = InitramfsToolsScript.SOURCE;
    private static final Path KLIBC_SH = InitramfsToolsScript.KLIBC.resolve("sh");

    @TempDir
    Path dir;
    private Path log;
    private Path agent;

    @BeforeEach
    void standIns() throws IOException {
        assumeTrue(Tools.runningAsRoot(), "SKIPPED: a mount namespace for /run needs root");
        assumeTrue(Files.isExecutable(KLIBC_SH), "SKIPPED: needs klibc's sh (apt-get install klibc-utils)");
        assumeTrue(Tools.onPath("unshare"), "SKIPPED: needs unshare (util-linux)");
        log = dir.resolve("log");
        agent = dir.resolve("tether-agent");
        // The agent as the script sees it: says it started and with what, waits for the file its --wait-for names,
        // says it began, and ends with the status the test asks for.
        Files.writeString(agent, """
                #!/bin/sh
                echo "agent started: $*" >> "$LOG"
                while [ "$1" != --wait-for ]; do shift; done
                while [ ! -e "$2" ]; do sleep 0.05; done
                echo "agent began" >> "$LOG"
                exit "$AGENT_STATUS"
                """);
        Files.setPosixFilePermissions(agent, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void theAgentStartsBeforeTheNetworkIsConfiguredAndBeginsAfterIt() throws Exception {
        String output = mountroot(0);
        List<String> lines = Files.readAllLines(log);
        String started = "agent started: boot /root --wait-for /run/tether-initramfs.ready";
        // The agent runs beside the rest, so where its first line falls among the script's own is the scheduler's.
        assertThat(lines.stream().filter(line -> !line.equals(started)).toList()).containsExactly(
                "modprobe -q -a loop squashfs",
                "modprobe -q -a fuse overlay zram xfs",
                "wait_for_udev 10",
                "tether_links_up",
                "configure_networking (the agent running: yes)",
                "agent began");
        assertThat(lines.indexOf(started)).as("the agent started after the launcher's modules and before the network")
                .isBetween(1, lines.indexOf("configure_networking (the agent running: yes)") - 1);
        assertThat(output).doesNotContain("panic").contains("mountroot returned");
    }

    @Test
    void anAgentThatFailsStopsTheBootWithItsStatus() throws Exception {
        String output = mountroot(1);
        assertThat(Files.readAllLines(log)).endsWith("agent began");
        assertThat(output).contains("panic: Tether: the boot agent failed with exit status 1; see the messages above");
    }

    @Test
    void theKernelCommandLineCannotNameTheFileTheScriptWrites() throws Exception {
        // The kernel hands every name=value on its command line that it does not know to init as an environment
        // variable, and the command line comes over the boot network. Names the script uses, set so, must not steer it:
        // ready=FILE would have it truncate FILE (": >") and give the agent a file that is there before the network is.
        Path victim = Files.writeString(dir.resolve("node-api-ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        String output = mountroot(0, Map.of("ready", victim.toString(), "agent", "1", "status", "0"));
        assertThat(victim).hasContent("-----BEGIN CERTIFICATE-----");
        assertThat(Files.readAllLines(log)).contains("agent started: boot /root --wait-for /run/tether-initramfs.ready")
                .endsWith("agent began");
        assertThat(output).doesNotContain("panic").contains("mountroot returned");
    }

    private String mountroot(int agentStatus) throws IOException, InterruptedException {
        return mountroot(agentStatus, Map.of());
    }

    /**
     * Sources the real script, puts the stand-ins in place of the initramfs's functions and runs mountroot, with
     * {@code fromTheCommandLine} in its environment as init would have them.
     */
    private String mountroot(int agentStatus, Map<String, String> fromTheCommandLine) throws IOException, InterruptedException {
        String standIns = String.join("\n",
                "modprobe() { echo \"modprobe $*\" >> \"$LOG\"; }",
                "wait_for_udev() { echo \"wait_for_udev $*\" >> \"$LOG\"; }",
                "tether_links_up() { echo tether_links_up >> \"$LOG\"; }",
                // Waits until the agent has said it started: proof that it runs while the network is configured.
                "configure_networking() { while ! grep -q 'agent started' \"$LOG\"; do sleep 0.05; done;"
                        + " if grep -q 'agent began' \"$LOG\"; then began=yes; else began=no; fi;"
                        + " echo \"configure_networking (the agent running: yes)\" >> \"$LOG\";"
                        + " [ $began = no ] || echo 'the agent began before the network was configured' >> \"$LOG\"; }",
                "panic() { echo \"panic: $*\"; exit 1; }");
        String body = "mount -t tmpfs tmpfs /run && " + KLIBC_SH + " -c '. \"$SCRIPT\"; " + standIns.replace("'", "'\\''")
                + "\nTETHER_AGENT=\"$AGENT\"; rootmnt=/root; mountroot; echo mountroot returned'";
        // --kill-child: a mountroot that hangs (the agent never started, so the network's stand-in waits) goes with
        // unshare when the test gives up on it.
        ProcessBuilder builder = new ProcessBuilder("unshare", "--fork", "--kill-child", "--mount", "--propagation",
                "private", "sh", "-c", body)
                .redirectErrorStream(true);
        builder.environment().putAll(fromTheCommandLine);
        builder.environment().putAll(Map.of("LOG", log.toString(), "AGENT", agent.toString(),
                "SCRIPT", SCRIPT.toAbsolutePath().toString(), "AGENT_STATUS", Integer.toString(agentStatus)));
        Process process = builder.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("mountroot did not end within 60 s; it did: " + Files.readAllLines(log));
        }
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}

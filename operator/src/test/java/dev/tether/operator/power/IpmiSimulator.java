package dev.tether.operator.power;

import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;

/**
 * OpenIPMI's {@code ipmi_sim}, a real IPMI 2.0 BMC, on a free loopback UDP port. Its "machine" is a small process that
 * its {@code startcmd} launches on power-on and that it kills on power-off: the node's power follows real IPMI
 * commands, and the process id tells one power-on from the next (a power cycle makes a new one). It offers cipher
 * suite 3 and does not answer ipmitool's cipher suite query, so clients name the suite.
 */
public final class IpmiSimulator implements AutoCloseable {
    public static final String USER = "admin";

    public final int port;
    public final String password;
    private final Path dir;
    private final Process process;

    private IpmiSimulator(Path dir, int port, String password, Process process) {
        this.dir = dir;
        this.port = port;
        this.password = password;
        this.process = process;
    }

    /** Skips the calling test, saying why, where ipmi_sim or ipmitool is not installed (Debian: openipmi, ipmitool). */
    public static void assumeInstalled() {
        assumeThat(onPath("ipmi_sim")).as("ipmi_sim is not installed (apt-get install openipmi)").isTrue();
        assumeThat(onPath("ipmitool")).as("ipmitool is not installed (apt-get install ipmitool)").isTrue();
    }

    /** Whether qemu is installed, for {@link #wiredMachine}. */
    public static boolean qemuInstalled() {
        return onPath("qemu-system-x86_64");
    }

    /**
     * A machine wired to the BMC as a server board is: a qemu with an IPMI system interface (KCS) connected to the BMC
     * ({@code ipmi-bmc-extern}), so the BMC can pass it a shutdown request (an ACPI power button press) and power it off.
     * Its CPU never starts ({@code -S}): nothing in it acts on the button, as a hung or firmware-only machine would not,
     * and it costs no CPU time.
     */
    public static String wiredMachine(int kcsPort) {
        return "exec qemu-system-x86_64 -machine pc -m 32 -nodefaults -display none -S"
                + " -chardev socket,id=ipmi0,host=127.0.0.1,port=" + kcsPort + ",reconnect=1"
                + " -device ipmi-bmc-extern,chardev=ipmi0,id=bmc0 -device isa-ipmi-kcs,bmc=bmc0";
    }

    public static IpmiSimulator start(Path dir, String password) throws IOException {
        return start(dir, password, null, kcsPort -> "exec sleep 100000");
    }

    /**
     * @param serialPort a loopback TCP port that plays the node's serial port for Serial-over-LAN, or null for none
     * @param machine the shell lines that run the machine, given the loopback TCP port of the BMC's system interface
     *     (qemu's {@code ipmi-bmc-extern} connects there); its process id is the machine's
     */
    public static IpmiSimulator start(Path dir, String password, Integer serialPort, java.util.function.IntFunction<String> machine)
            throws IOException {
        int port;
        try (var socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        int kcsPort = freeTcpPort();
        Path node = dir.resolve("node.sh");
        Files.writeString(node, "#!/bin/sh\necho $$ > " + dir.resolve("node.pid") + "\n" + machine.apply(kcsPort) + "\n");
        Files.setPosixFilePermissions(node, PosixFilePermissions.fromString("rwx------"));
        // The VM codec on a serial port nobody connects to gives ipmi_sim its power control: startcmd on power-on,
        // SIGTERM at once on power-off (no VM to ask for a graceful shutdown).
        Files.writeString(dir.resolve("lan.conf"), """
                name "tether-test"
                set_working_mc 0x20
                  startlan 1
                    addr 127.0.0.1 %d
                    priv_limit admin
                    allowed_auths_callback md5
                    allowed_auths_user md5
                    allowed_auths_operator md5
                    allowed_auths_admin md5
                    guid a123456789abcdefa123456789abcdef
                  endlan
                  serial kcs 127.0.0.1 %d codec VM ipmb 0x20
                %s
                  startcmd "%s"
                  startnow false
                  poweroff_wait 10
                  kill_wait 2
                  user 2 true "%s" "%s" admin 10 md5
                """.formatted(port, kcsPort, serialPort == null ? "" : "  sol \"tcp:127.0.0.1:" + serialPort + "\" 115200", node,
                USER, password));
        Files.writeString(dir.resolve("bmc.emu"), """
                mc_setbmc 0x20
                mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
                sel_enable 0x20 1000 0x0a
                mc_enable 0x20
                """);
        Files.createDirectories(dir.resolve("state"));
        var process = new ProcessBuilder("ipmi_sim", "-c", dir.resolve("lan.conf").toString(), "-f", dir.resolve("bmc.emu").toString(),
                "-s", dir.resolve("state").toString(), "-n")
                // ipmi_sim writes its own sim.log into its working directory: the test's, not the checkout.
                .directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(dir.resolve("ipmi_sim.log").toFile()).start();
        var simulator = new IpmiSimulator(dir, port, password, process);
        simulator.awaitListening();
        return simulator;
    }

    /** The process id of the running "machine", if it is powered on. */
    public Optional<Long> machine() {
        try {
            Path pid = dir.resolve("node.pid");
            if (!Files.exists(pid)) {
                return Optional.empty();
            }
            long id = Long.parseLong(Files.readString(pid).strip());
            return ProcessHandle.of(id).filter(ProcessHandle::isAlive).map(ProcessHandle::pid);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private void awaitListening() {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("ipmi_sim exited: " + Files.readString(dir.resolve("ipmi_sim.log")));
            }
            var ss = new ProcessBuilder("ss", "-Hlun", "sport = :" + port).redirectErrorStream(true).start();
            String out = new String(ss.getInputStream().readAllBytes());
            ss.waitFor();
            return out.contains(":" + port);
        });
    }

    private static int freeTcpPort() throws IOException {
        try (var socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        // The machine is ipmi_sim's child; stop it too, by the id it wrote, then ipmi_sim itself.
        machine().flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroy);
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted while stopping ipmi_sim"));
        }
    }
}

package dev.tether.dev;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * One qemu virtual machine (software emulation) that network-boots with iPXE, with its serial console captured line by
 * line (each line stamped with the host time it arrived) and written to a log file, and an SSH helper. Its network is
 * qemu's user network (TFTP serves iPXE a script, ssh goes through a forwarded port), or a site's boot network on a tap
 * ({@link Builder#network}: the README's DHCP, ssh to the machine's own address).
 *
 * <p>Later steps plug in here: a TPM ({@link Builder#tpmSocket}, for a {@code swtpm socket} the caller
 * runs), and a reboot with the same TPM state (stop, then start a new VM with the same builder).
 */
public final class VirtualMachine implements AutoCloseable {
    /** The iPXE ROM qemu gives a virtio-net-pci device by default (Debian's ipxe-qemu). */
    public static final Path IPXE_ROM = Path.of("/usr/lib/ipxe/qemu/efi-virtio.rom");
    /** The host as the guest sees it under {@code -netdev user}. */
    private static final String HOST_FROM_GUEST = "10.0.2.2";
    /** The pause between {@link #sshWhenReady}'s attempts. */
    private static final Duration SSH_RETRY_PAUSE = Duration.ofMillis(500);

    /** A console line and when the host read it. */
    public record ConsoleLine(Instant at, String text) {
    }

    /**
     * The emulated CPUs of every machine the suites start, the local-disk reference's as much as a Tether boot's: one,
     * or {@code TETHER_VM_CPUS}. With more than one, qemu runs each emulated CPU as a host thread (multi-threaded TCG),
     * where a guest's JVM is not safe: the suites gave every machine two on 2026-12-06, and in that day's CI a boot's
     * agent died in its fifth second with a SIGSEGV three bytes into the code its C1 compiler had made for
     * {@code Math.unsignedMultiplyHigh}. Most likely the emulator's fault (JVMs crash the same way under multi-threaded
     * TCG elsewhere: UTM issue 7070); one crash in about 45 boots at two CPUs, none seen in the many runs at one. Two
     * CPUs sped both boots alike (the local disk's ssh login 23.3-24.1 s instead of 29.9-30.5, the tethered boot's
     * 43.3-44.9 instead of 56.2-56.6), so the ratio between them, what the suites measure, did not move
     * (docs/architecture.md).
     */
    public static final int DEFAULT_CPUS = cpusFrom(System.getenv("TETHER_VM_CPUS"));

    static int cpusFrom(String setting) {
        if (setting == null || setting.isBlank()) {
            return 1;
        }
        try {
            int cpus = Integer.parseInt(setting.strip());
            if (cpus >= 1 && cpus <= 64) {
                return cpus;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("TETHER_VM_CPUS=" + setting + " is not a number of CPUs from 1 to 64");
    }

    public static final class Builder {
        private String mac = "52:54:00:12:34:56";
        private int memoryMiB = 2048;
        private int cpus = DEFAULT_CPUS;
        private String ipxeScript;
        private Path workDir;
        private Path tpmSocket;
        private boolean allowReboot;
        private java.io.PrintStream echo;
        private DirectKernel directKernel;
        private Path disk;
        private Integer bmcPort;
        private String smbiosUuid;
        private BootNetwork network;

        public Builder mac(String value) {
            mac = value;
            return this;
        }

        public Builder memoryMiB(int value) {
            memoryMiB = value;
            return this;
        }

        public Builder cpus(int value) {
            cpus = value;
            return this;
        }

        /** The script iPXE gets as its boot file over the user network's TFTP; unused on a {@link #network}. */
        public Builder ipxeScript(String value) {
            ipxeScript = value;
            return this;
        }

        /**
         * Joins the machine to {@code value} through a tap instead of qemu's user network: its DHCP server gives iPXE
         * the boot file (no {@link #ipxeScript}), and ssh reaches the machine at its address there. qemu's user network
         * cannot send iPXE the option that ends its wait for ProxyDHCP offers, 3.1 s of every network boot.
         */
        public Builder network(BootNetwork value) {
            network = value;
            return this;
        }

        /** Where the console log and the TFTP directory go. */
        public Builder workDir(Path value) {
            workDir = value;
            return this;
        }

        /** A swtpm control socket ({@code swtpm socket --tpm2 --ctrl type=unixio,path=...}) to attach as a TPM 2.0. */
        public Builder tpmSocket(Path value) {
            tpmSocket = value;
            return this;
        }

        /** A guest reboot restarts the machine in the same qemu (same TPM) instead of ending qemu. */
        public Builder allowReboot(boolean value) {
            allowReboot = value;
            return this;
        }

        /**
         * Boots {@code kernel} and {@code initrd} with {@code append} as its command line directly (qemu's
         * {@code -kernel}), without firmware network boot: for the local-disk reference boot.
         */
        public Builder directKernel(Path kernel, Path initrd, String append) {
            directKernel = new DirectKernel(kernel, initrd, append);
            return this;
        }

        /** A raw disk image attached as the first virtio disk ({@code /dev/vda}). */
        public Builder disk(Path value) {
            disk = value;
            return this;
        }

        /**
         * The machine's IPMI system interface (a KCS device, as a server board's) wired to a BMC simulator listening on
         * loopback TCP {@code port} ({@code ipmi-bmc-extern}): ipmi_sim's "VM" codec, through which the BMC powers the
         * machine off and asks it to shut down gracefully (an ACPI power button press).
         */
        public Builder bmc(int port) {
            bmcPort = port;
            return this;
        }

        /** The machine's SMBIOS system UUID, as its firmware reports it (qemu's {@code -uuid}). */
        public Builder smbiosUuid(String value) {
            smbiosUuid = value;
            return this;
        }

        /** Also prints every console line to {@code out} as it arrives (for a person watching). */
        public Builder echoConsole(java.io.PrintStream out) {
            echo = out;
            return this;
        }

        public static String chainTo(String edgeUrl) {
            return "#!ipxe\n"
                    + "echo Tether e2e: chaining to " + edgeUrl + "/boot/ipxe?mac=${mac}\n"
                    + "isset ${ip} || dhcp\n"
                    + "chain " + edgeUrl + "/boot/ipxe?mac=${mac}\n";
        }

        public VirtualMachine start() throws IOException {
            return new VirtualMachine(this, false);
        }

        /**
         * A machine that a BMC powers on and off, not this JVM: nothing runs yet; {@link #powerOnCommand()} is the
         * command for the BMC's power-on ({@code ipmi_sim}'s {@code startcmd}). Its serial console comes through a FIFO
         * this object reads for as long as it is open, across power cycles (each power-on is a new qemu).
         */
        public VirtualMachine poweredByBmc() throws IOException {
            return new VirtualMachine(this, true);
        }
    }

    private record DirectKernel(Path kernel, Path initrd, String append) {
    }

    private final Builder config;
    /** The qemu this JVM started; null for a machine a BMC powers. */
    private final Process process;
    /** The qemu command line, as {@link #powerOnCommand()} gives it to a BMC. */
    private final List<String> command;
    /** The console FIFO of a machine a BMC powers (null otherwise), held open while this object is. */
    private final FileChannel bmcConsole;
    private final int sshPort;
    /** Where ssh reaches the guest: the user network's forwarded port on loopback, or the guest's own address. */
    private final String sshHost;
    private final Path consoleLog;
    private final Instant started;
    private final List<ConsoleLine> lines = new ArrayList<>();
    private final Thread reader;
    /** Where the next {@link #waitFor} starts looking (guarded by {@code lines}). */
    private int cursor;
    private volatile Path knownHosts;
    /** Set by {@link #close()}: the console's stream then ends (the JDK closes a destroyed process's pipe) as expected. */
    private volatile boolean closing;
    private volatile String hostName;
    /** The console's last, unfinished line (guarded by {@code lines}). */
    private String partial = "";

    public static Builder builder() {
        return new Builder();
    }

    private VirtualMachine(Builder config, boolean poweredByBmc) throws IOException {
        this.config = config;
        Path tftp = config.workDir.resolve("tftp");
        Files.createDirectories(tftp);
        if (config.ipxeScript != null) {
            Files.writeString(tftp.resolve("tether.ipxe"), config.ipxeScript);
        }
        consoleLog = config.workDir.resolve("console.log");
        List<String> netdev;
        if (config.network != null) {
            String tap;
            try {
                tap = config.network.attach(config.mac);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while joining the machine to its boot network", e);
            }
            sshHost = config.network.addressOf(config.mac);
            sshPort = 22;
            netdev = List.of("-netdev", "tap,id=n0,ifname=" + tap + ",script=no,downscript=no");
        } else {
            sshHost = "127.0.0.1";
            sshPort = freePort();
            netdev = List.of("-netdev", "user,id=n0,tftp=" + tftp + ",bootfile=tether.ipxe,hostfwd=tcp:127.0.0.1:" + sshPort + "-:22");
        }
        List<String> command = new ArrayList<>(List.of("qemu-system-x86_64",
                "-m", Integer.toString(config.memoryMiB), "-smp", Integer.toString(config.cpus),
                // qemu's baseline CPU (qemu64: SSE3) with what every server CPU has and a Tether boot leans on:
                // - RDRAND (x86 since 2012), from which the kernel seeds its RNG at power-on. Without it the kernel's
                //   RNG stays unseeded for the first 20 s of an emulated boot, and the first program to read
                //   /dev/urandom (the agent's JVM, before its first line) waits for it.
                // - AES-NI and PCLMULQDQ (since 2010), with SSSE3 and SSE4.1, which the JVM's AES stubs use beside
                //   them (without SSSE3 its AES stub dies on an illegal instruction). The agent checks and decrypts
                //   every chunk with AES-GCM: 15 MiB/s in an emulated JVM without them, 31 with them (qemu-x86_64
                //   on this machine), where a node decrypts gigabytes a second.
                // Not a whole server model such as Westmere: with its SSE4.2 and POPCNT the image's own programs
                // take code paths this emulator runs slowly, and the local disk's reference boot took 8-9 s longer
                // (login prompt after 32.6 and 33.3 s, against 24.7 and 23.5 with qemu64 and 23.7 and 25.5 with
                // these flags): a limit made slower by the emulator would flatter every ratio measured against it.
                "-cpu", "qemu64,+rdrand,+aes,+pclmulqdq,+ssse3,+sse4.1",
                // -nographic, not -display none: only without a display does SeaBIOS (and so iPXE) write to
                // the serial port. The monitor shares stdio; only reset() writes to qemu's stdin.
                "-nographic"));
        command.addAll(netdev);
        command.addAll(List.of(
                "-device", "virtio-net-pci,netdev=n0,mac=" + config.mac + "" /* qemu's default ROM, IPXE_ROM; naming it as romfile= stops it booting */,
                "-boot", "n"));
        Path consoleFifo = config.workDir.resolve("console");
        if (poweredByBmc) {
            // The pipe chardev writes to console.out and reads console.in: two FIFOs, so that it never reads its own output.
            for (String end : List.of(".in", ".out")) {
                Path fifo = Path.of(consoleFifo + end);
                Files.deleteIfExists(fifo);
                mkfifo(fifo);
            }
            command.addAll(List.of("-monitor", "none", "-chardev", "pipe,id=console0,path=" + consoleFifo, "-serial", "chardev:console0"));
        }
        if (config.smbiosUuid != null) {
            command.addAll(List.of("-uuid", config.smbiosUuid));
        }
        if (config.bmcPort != null) {
            command.addAll(List.of("-chardev", "socket,id=ipmi0,host=127.0.0.1,port=" + config.bmcPort + ",reconnect=1",
                    "-device", "ipmi-bmc-extern,chardev=ipmi0,id=bmc0", "-device", "isa-ipmi-kcs,bmc=bmc0"));
        }
        if (config.directKernel != null) {
            command.addAll(List.of("-kernel", config.directKernel.kernel().toString(), "-initrd", config.directKernel.initrd().toString(),
                    "-append", config.directKernel.append()));
        }
        if (config.disk != null) {
            command.addAll(List.of("-drive", "file=" + config.disk + ",if=virtio,format=raw"));
        }
        if (!config.allowReboot) {
            command.add("-no-reboot");
        }
        if (config.tpmSocket != null) {
            command.addAll(List.of("-chardev", "socket,id=chrtpm,path=" + config.tpmSocket,
                    "-tpmdev", "emulator,id=tpm0,chardev=chrtpm", "-device", "tpm-tis,tpmdev=tpm0"));
        }
        Files.writeString(config.workDir.resolve("qemu-command.txt"), String.join(" ", command) + "\n");
        this.command = List.copyOf(command);
        started = Instant.now();
        if (poweredByBmc) {
            process = null;
            // Read and write: this end keeps the FIFO open, so a qemu that exits (power off) is no end of the console. A
            // channel, because closing it wakes the thread blocked reading it.
            bmcConsole = FileChannel.open(Path.of(consoleFifo + ".out"), StandardOpenOption.READ, StandardOpenOption.WRITE);
            reader = Thread.ofPlatform().daemon().name("vm-console").start(() -> readConsole(Channels.newInputStream(bmcConsole)));
        } else {
            bmcConsole = null;
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            // A test JVM stopped by a signal must not leave a VM running on shared cores.
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly, "vm-stop"));
            reader = Thread.ofPlatform().daemon().name("vm-console").start(() -> readConsole(process.getInputStream()));
        }
    }

    private static void mkfifo(Path path) throws IOException {
        try {
            Process mkfifo = new ProcessBuilder("mkfifo", "-m", "600", path.toString()).redirectErrorStream(true).start();
            String output = new String(mkfifo.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (mkfifo.waitFor() != 0) {
                throw new IOException("mkfifo " + path + " failed: " + output.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making " + path, e);
        }
    }

    /**
     * The shell command that powers this machine on, for a BMC's power-on ({@code exec}'d, so the BMC's process is qemu
     * and its power-off ends qemu); at low priority, on cores the test shares. Only for {@link Builder#poweredByBmc()}.
     */
    public String powerOnCommand() {
        if (process != null) {
            throw new IllegalStateException("this machine was started by the test, not a BMC");
        }
        var quoted = new StringBuilder("exec nice -n 10");
        for (String word : command) {
            quoted.append(" '").append(word.replace("'", "'\\''")).append('\'');
        }
        return quoted.toString();
    }

    private void readConsole(InputStream input) {
        try (InputStream in = input;
             BufferedWriter log = Files.newBufferedWriter(consoleLog, StandardCharsets.UTF_8)) {
            var line = new StringBuilder();
            byte[] buffer = new byte[8192];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                String chunk = new String(buffer, 0, n, StandardCharsets.UTF_8);
                for (int i = 0; i < chunk.length(); i++) {
                    char c = chunk.charAt(i);
                    if (c == '\n') {
                        String text = clean(line.toString());
                        synchronized (lines) {
                            lines.add(new ConsoleLine(Instant.now(), text));
                            partial = "";
                            lines.notifyAll();
                        }
                        log.write(String.format("%7.1f %s%n", Duration.between(started, Instant.now()).toMillis() / 1000.0, text));
                        log.flush();
                        if (config.echo != null) {
                            config.echo.println("  | " + text);
                        }
                        line.setLength(0);
                    } else {
                        line.append(c);
                    }
                }
                synchronized (lines) {
                    // A prompt ("vm login: ") ends without a line break; waitFor sees it as it is.
                    partial = clean(line.toString());
                    lines.notifyAll();
                }
            }
        } catch (AsynchronousCloseException e) {
            // close() of a machine a BMC powers: the console ends here.
        } catch (IOException e) {
            if (!closing) {
                throw new UncheckedIOException(e);
            }
        } finally {
            synchronized (lines) {
                lines.notifyAll();
            }
        }
    }

    /** Without terminal escapes and carriage returns, so patterns match what a person reads. */
    private static String clean(String raw) {
        return raw.replaceAll("\u001B\\[[0-9;?]*[A-Za-z]", "").replaceAll("\u001B[()][A-Z0-9]", "").replace("\r", "");
    }

    /**
     * The next console line matching {@code pattern} after the line the previous {@code waitFor} returned, so
     * that a sequence of calls follows the boot in order; waits up to {@code timeout}. The timeout is a safety
     * net against a hung boot, not a performance assertion.
     */
    public ConsoleLine waitFor(Pattern pattern, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        synchronized (lines) {
            int seen = cursor;
            while (true) {
                for (; seen < lines.size(); seen++) {
                    if (pattern.matcher(lines.get(seen).text()).find()) {
                        cursor = seen + 1;
                        return lines.get(seen);
                    }
                }
                if (!partial.isEmpty() && pattern.matcher(partial).find()) {
                    // The unfinished line becomes lines.get(seen) once it ends; look after it next time.
                    cursor = seen + 1;
                    return new ConsoleLine(Instant.now(), partial);
                }
                if (process != null && !process.isAlive() && !reader.isAlive()) {
                    throw new AssertionError("the VM ended (exit " + process.exitValue() + ") before the console showed /"
                            + pattern + "/; console: " + consoleLog + "\n" + tail(40));
                }
                long left = Duration.between(Instant.now(), deadline).toMillis();
                if (left <= 0) {
                    throw new AssertionError("the console did not show /" + pattern + "/ within " + timeout.toSeconds()
                            + " s; console: " + consoleLog + "\n" + tail(40));
                }
                lines.wait(Math.min(left, 1000));
            }
        }
    }

    public ConsoleLine waitFor(String regex, Duration timeout) throws InterruptedException {
        return waitFor(Pattern.compile(regex), timeout);
    }

    /** The first line so far that matches, without waiting. */
    public Optional<ConsoleLine> find(String regex) {
        Pattern pattern = Pattern.compile(regex);
        synchronized (lines) {
            return lines.stream().filter(l -> pattern.matcher(l.text()).find()).findFirst();
        }
    }

    public List<ConsoleLine> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    public String tail(int count) {
        synchronized (lines) {
            return String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size()).stream()
                    .map(ConsoleLine::text).toList());
        }
    }

    public Instant started() {
        return started;
    }

    public Path consoleLog() {
        return consoleLog;
    }

    public int sshPort() {
        return sshPort;
    }

    /** The host's address as this machine sees it: for a server on the host that the machine is to reach. */
    public String hostFromGuest() {
        return config.network != null ? config.network.hostAddress() : HOST_FROM_GUEST;
    }

    /** The result of a command run over SSH. */
    public record SshResult(int status, String output) {
    }

    /**
     * From now on, SSH checks the guest's host key strictly against {@code knownHosts} only, under the name
     * {@code hostName} (the name the host certificate must carry as a principal): no prompt, no other file.
     */
    public void trustHostKeysFrom(Path knownHosts, String hostName) {
        this.knownHosts = knownHosts;
        this.hostName = hostName;
    }

    /** The ssh command line a person would type to log in as this test does. */
    public List<String> sshCommand(Path privateKey) {
        List<String> ssh = new ArrayList<>(List.of("ssh", "-i", privateKey.toString(), "-p", Integer.toString(sshPort)));
        if (knownHosts == null) {
            ssh.addAll(List.of("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"));
        } else {
            ssh.addAll(List.of("-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + knownHosts,
                    "-o", "GlobalKnownHostsFile=/dev/null", "-o", "HostKeyAlias=" + hostName));
        }
        ssh.add("root@" + sshHost);
        return ssh;
    }

    /** Runs {@code command} as root in the guest, over the forwarded port or to its address on its boot network. */
    public SshResult ssh(Path privateKey, String command, Duration timeout) throws IOException, InterruptedException {
        List<String> ssh = new ArrayList<>(sshCommand(privateKey));
        ssh.addAll(ssh.size() - 1, List.of("-o", "BatchMode=yes", "-o", "ConnectTimeout=20", "-o", "LogLevel=ERROR"));
        ssh.add(command);
        Path out = Files.createTempFile(config.workDir, "ssh-", ".out");
        Process p = new ProcessBuilder(ssh).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IOException("ssh '" + command + "' did not finish within " + timeout.toSeconds() + " s");
        }
        String text = Files.readString(out);
        Files.delete(out);
        return new SshResult(p.exitValue(), text);
    }

    /**
     * Retries until sshd accepts the test key (sshd may start a little after the console says so). The VM suite times
     * a boot to the moment this returns, so the pause between attempts is short: with 3 s, the login was seen up to
     * 3 s after sshd could have taken it. An attempt before sshd listens costs the guest a refused connection.
     */
    public SshResult sshWhenReady(Path privateKey, String command, Duration timeout) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        SshResult last = null;
        while (Instant.now().isBefore(deadline)) {
            last = ssh(privateKey, command, Duration.ofSeconds(120));
            if (last.status() != 255) {
                return last;
            }
            Thread.sleep(SSH_RETRY_PAUSE.toMillis());
        }
        throw new AssertionError("ssh to the VM did not succeed within " + timeout.toSeconds() + " s: "
                + (last == null ? "no attempt" : last.output()));
    }

    /**
     * When the guest's sshd was ready (systemd's {@code ssh.service} active), on the host's clock: the guest's
     * monotonic time of it put against its uptime, read together, and the host's clock when the answer came (later by
     * the session's end, a fraction of a second). Tells a boot's sshd start apart from the login's own work.
     */
    public Instant sshdActiveAt(Path privateKey) throws IOException, InterruptedException {
        var answer = ssh(privateKey, "systemctl show -p ActiveEnterTimestampMonotonic --value ssh.service;"
                + " read -r up idle < /proc/uptime; echo \"$up\"", Duration.ofMinutes(1));
        return sshdActiveAt(answer, Instant.now());
    }

    /** {@link #sshdActiveAt(Path)}'s answer, which came at {@code answered}, on the host's clock. */
    static Instant sshdActiveAt(SshResult answer, Instant answered) throws IOException {
        List<String> lines = answer.output().strip().lines().toList();
        if (answer.status() != 0 || lines.size() != 2 || !lines.get(0).matches("[1-9][0-9]{0,15}")
                || !lines.get(1).matches("[0-9]{1,9}\\.[0-9]{1,6}")) {
            throw new IOException("no time of sshd's start from the guest: " + answer.output().strip());
        }
        long activeMicros = Long.parseLong(lines.get(0));
        long uptimeMicros = new BigDecimal(lines.get(1)).movePointRight(6).longValueExact();
        return answered.minus(uptimeMicros - activeMicros, ChronoUnit.MICROS);
    }

    /**
     * The reset button: through qemu's monitor, which shares stdio with the serial console (Ctrl-A c switches
     * between them). For a machine stopped in its initramfs, which no ssh reaches.
     */
    public void reset() throws IOException {
        if (process == null) {
            throw new IllegalStateException("a machine a BMC powers is reset through its BMC");
        }
        var stdin = process.getOutputStream();
        stdin.write("\u0001csystem_reset\n\u0001c".getBytes(StandardCharsets.US_ASCII));
        stdin.flush();
    }

    /**
     * Waits until the machine is off (qemu exited, after a poweroff inside it); for a machine a BMC powers, until its
     * console ends.
     */
    public void waitForExit(Duration timeout) throws InterruptedException {
        boolean exited;
        if (process == null) {
            reader.join(timeout);
            exited = !reader.isAlive();
        } else {
            exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        if (!exited) {
            throw new AssertionError("the machine was still running " + timeout.toSeconds() + " s later; console: "
                    + consoleLog());
        }
    }

    /** Whether qemu runs; for a machine a BMC powers, whether its console is still read (ask the BMC for its power). */
    public boolean isAlive() {
        return process == null ? reader.isAlive() : process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        closing = true;
        if (process == null) {
            // The BMC stops its qemu; this ends the console (the reader's blocked read is woken by the close).
            try {
                bmcConsole.close();
            } catch (IOException e) {
                // Nothing left to release: the reader thread is a daemon and ends with the JVM.
            }
            reader.join(5000);
            return;
        }
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        reader.join(5000);
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

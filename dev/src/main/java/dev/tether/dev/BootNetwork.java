package dev.tether.dev;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A site's boot network on this machine, set up as the README's "Point the machines at the edges" tells a site to: a
 * bridge on which dnsmasq answers DHCP with the README's own lines, so iPXE gets an edge's {@code /boot/ipxe} as its
 * boot file and the option that ends its wait for ProxyDHCP offers, and router advertisements, without which it waits
 * 16 s for IPv6. Machines join it through a tap each ({@link VirtualMachine.Builder#network}); each MAC gets a fixed
 * address, which ssh reaches directly. qemu's user network, the other way a {@link VirtualMachine} boots, cannot send
 * iPXE that option, so every network boot there pays iPXE's wait (3.1 s with qemu's iPXE).
 *
 * <p>Each network takes an {@link AddressBlock} of its own, {@code 10.214.<block>.0/24} and {@code fd14:<block>::/64},
 * while it runs: two VM suites on one machine must not serve DHCP on each other's machines. Leftovers of a killed run
 * in a free block are taken over. The host routes the guests' packets to the edges' loopback addresses itself (they
 * are its own), so the boot files the operator writes work unchanged. Needs root, {@code /dev/net/tun}, iproute2 and
 * dnsmasq ({@link #whyUnavailable()}).
 */
public final class BootNetwork implements AutoCloseable {
    private static final List<Prerequisites.Need> NEEDS = List.of(
            new Prerequisites.Need("dnsmasq", "dnsmasq-base", false),
            new Prerequisites.Need("ip", "iproute2", false));
    private static final Path TUN = Path.of("/dev/net/tun");
    /** How the README's dnsmasq block starts. */
    public static final String README_BLOCK_FIRST_LINE = "# /etc/dnsmasq.d/tether.conf";
    /** The edge the README's block names as its example; a network puts its own edge's URL in its place. */
    public static final String README_EDGE = "http://10.0.0.11:8080";

    /** Beside the edges' 10.213 (EdgeAddresses), and away from the 10.231.7.0/24 of imgutil's InitramfsNetworkTest. */
    private static final String PREFIX = "10.214.";
    private static final String PREFIX6 = "fd14:";
    private static final int BLOCKS = 250;
    /** The machines' fixed addresses: .10 to .99, one a MAC. A MAC dnsmasq does not know gets one from .100 up. */
    private static final int FIRST_MACHINE = 10;
    private static final int LAST_MACHINE = 99;
    private static final Path LOCKS = Path.of(System.getProperty("java.io.tmpdir"), "tether-boot-networks");
    /** For dnsmasq to start listening, or to read a machine's host file: patience on a busy machine, not a measure. */
    private static final Duration DNSMASQ_PATIENCE = Duration.ofMinutes(1);

    private final AddressBlock addresses;
    /** The block's number, in every address and interface name of this network. */
    private final int block;
    private final Path dir;
    private final Path hostsDir;
    private final Path log;
    private final Map<String, Integer> machines = new LinkedHashMap<>();
    private final List<String> taps = new ArrayList<>();
    private Process dnsmasq;

    private BootNetwork(AddressBlock addresses, Path dir) {
        this.addresses = addresses;
        this.block = addresses.number();
        this.dir = dir;
        this.hostsDir = dir.resolve("hosts");
        this.log = dir.resolve("dnsmasq.log");
    }

    /** Why this machine cannot run a boot network (what it lacks and how to get it), or empty when it can. */
    public static Optional<String> whyUnavailable() {
        if (!ImageCache.isRoot()) {
            return Optional.of("a boot network's bridge and taps need root");
        }
        Set<String> missing = Prerequisites.missingPackages(NEEDS);
        if (!missing.isEmpty()) {
            return Optional.of("a boot network needs " + String.join(", ", missing) + " (" + Prerequisites.instructions(missing) + ")");
        }
        if (!Files.exists(TUN)) {
            return Optional.of("a boot network's taps need " + TUN + " (modprobe tun)");
        }
        return Optional.empty();
    }

    /**
     * Starts a boot network whose DHCP server runs the README's dnsmasq lines with an edge's URL (say
     * {@code http://10.213.0.1:8080}) in place of the README's example edge.
     *
     * @param readme  the README the lines are taken from
     * @param edgeUrl the edge's URL given the network's {@link #hostAddress()}, where a server listening on all of
     *                the host's addresses is reached (an edge on an address of its own ignores it)
     * @param dir     where dnsmasq's configuration, leases and log go
     */
    public static BootNetwork start(Path readme, UnaryOperator<String> edgeUrl, Path dir)
            throws IOException, InterruptedException {
        String lines = readmeDnsmasqLines(readme);
        Files.createDirectories(dir);
        var network = new BootNetwork(AddressBlock.take(LOCKS, BLOCKS, "boot network addresses " + PREFIX + "<block>.0/24"),
                dir);
        try {
            network.up(lines.replace(README_EDGE, edgeUrl.apply(network.hostAddress())));
            return network;
        } catch (IOException | InterruptedException | RuntimeException e) {
            network.close();
            throw e;
        }
    }

    /**
     * The README's dnsmasq block, from its first line ({@link #README_BLOCK_FIRST_LINE}) to the fence that closes it.
     *
     * @throws IOException when the README has no such block, or the block does not name the example edge
     */
    public static String readmeDnsmasqLines(Path readme) throws IOException {
        List<String> lines = Files.readAllLines(readme);
        int first = 0;
        while (first < lines.size() && !lines.get(first).startsWith(README_BLOCK_FIRST_LINE)) {
            first++;
        }
        if (first == lines.size()) {
            throw new IOException(readme + " has no dnsmasq block starting with '" + README_BLOCK_FIRST_LINE + "'");
        }
        List<String> block = new ArrayList<>();
        for (int i = first; i < lines.size() && !lines.get(i).startsWith("```"); i++) {
            block.add(lines.get(i));
        }
        String text = String.join("\n", block) + "\n";
        if (!text.contains(README_EDGE)) {
            throw new IOException("the dnsmasq block of " + readme + " does not name the example edge " + README_EDGE);
        }
        return text;
    }

    private void up(String config) throws IOException, InterruptedException {
        String bridge = bridge();
        // Left over from a killed run of this block: taken over.
        ipQuietly("link", "del", bridge);
        ip("link", "add", "name", bridge, "type", "bridge");
        ip("addr", "add", hostAddress() + "/24", "dev", bridge);
        // nodad: the address is usable at once, so dnsmasq's router advertisements do not wait for duplicate detection.
        ip("-6", "addr", "add", PREFIX6 + block + "::1/64", "dev", bridge, "nodad");
        ip("link", "set", bridge, "up");
        Files.createDirectories(hostsDir);
        Path conf = dir.resolve("tether.conf");
        Files.writeString(conf, config);
        dnsmasq = new ProcessBuilder("dnsmasq", "--no-daemon", "--conf-file=" + conf, "--port=0", "--bind-interfaces",
                "--interface=" + bridge, "--except-interface=lo",
                "--dhcp-range=" + PREFIX + block + "." + (LAST_MACHINE + 1) + "," + PREFIX + block + ".250,1h",
                "--dhcp-hostsdir=" + hostsDir, "--enable-ra", "--dhcp-range=" + PREFIX6 + block + "::,ra-only", "--no-ping",
                "--log-dhcp", "--dhcp-leasefile=" + dir.resolve("leases"), "--pid-file=" + dir.resolve("dnsmasq.pid"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        awaitLog("sockets bound exclusively to interface " + bridge, "listen on " + bridge);
    }

    /** Waits for dnsmasq to write {@code line} to its log: it says there what it did, and has no other signal. */
    private void awaitLog(String line, String what) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(DNSMASQ_PATIENCE);
        while (!Files.readString(log).contains(line)) {
            if (!dnsmasq.isAlive()) {
                throw new IOException("dnsmasq exited (" + dnsmasq.exitValue() + ") on boot network " + bridge() + ": "
                        + Files.readString(log).strip());
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IOException("dnsmasq did not " + what + " within " + DNSMASQ_PATIENCE.toSeconds() + " s; its log: "
                        + log);
            }
            Thread.sleep(50);
        }
    }

    /** The host as the machines see it: their router, and where the edges' addresses are reached through it. */
    public String hostAddress() {
        return PREFIX + block + ".1";
    }

    /** The address DHCP gives the machine with {@code mac} (fixed from its first {@link #attach}). */
    public synchronized String addressOf(String mac) {
        Integer host = machines.get(mac.toLowerCase(Locale.ROOT));
        if (host == null) {
            throw new IllegalArgumentException("no machine with MAC " + mac + " joined boot network " + bridge());
        }
        return PREFIX + block + "." + host;
    }

    /**
     * The tap through which the machine with {@code mac} joins, made at its first call: the same one again after a
     * power cycle (one qemu at a time uses it). The machine's fixed address is in dnsmasq's host files from then on.
     */
    synchronized String attach(String mac) throws IOException, InterruptedException {
        String key = mac.toLowerCase(Locale.ROOT);
        Integer existing = machines.get(key);
        if (existing != null) {
            return tap(existing);
        }
        int host = FIRST_MACHINE + machines.size();
        if (host > LAST_MACHINE) {
            throw new IOException("boot network " + bridge() + " has no address left for " + mac);
        }
        String tap = tap(host);
        ipQuietly("link", "del", tap);
        ip("tuntap", "add", "dev", tap, "mode", "tap");
        taps.add(tap);
        ip("link", "set", tap, "master", bridge());
        ip("link", "set", tap, "up");
        // dnsmasq reads a file that appears in its hosts directory (inotify), and passes over names starting with a dot:
        // moved in whole, so it never reads half of one. Read before the machine starts, so its first DHCP request
        // gets this address.
        Path file = hostsDir.resolve(key.replace(':', '-'));
        Path partial = hostsDir.resolve("." + file.getFileName());
        Files.writeString(partial, key + "," + PREFIX + block + "." + host + "\n");
        Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
        awaitLog("read " + file, "read " + file);
        machines.put(key, host);
        return tap;
    }

    /** dnsmasq's log: every DHCP exchange, with the options it sent ({@code --log-dhcp}). */
    public Path log() {
        return log;
    }

    private String bridge() {
        return "tbr" + block;
    }

    private String tap(int host) {
        return "tbr" + block + "m" + host;
    }

    private static void ip(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        Commands.run(command, Duration.ofSeconds(30));
    }

    private static void ipQuietly(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        Commands.succeeds(command.toArray(String[]::new));
    }

    /** Stops dnsmasq and removes the taps and the bridge; the machines on it must have stopped. */
    @Override
    public void close() throws InterruptedException {
        if (dnsmasq != null) {
            dnsmasq.destroy();
            if (!dnsmasq.waitFor(10, TimeUnit.SECONDS)) {
                dnsmasq.destroyForcibly();
            }
        }
        try {
            for (String tap : taps) {
                ipQuietly("link", "del", tap);
            }
            ipQuietly("link", "del", bridge());
        } catch (IOException e) {
            System.err.println("[BootNetwork] could not remove " + bridge() + " and its taps: " + e.getMessage());
        }
        addresses.close();
    }
}

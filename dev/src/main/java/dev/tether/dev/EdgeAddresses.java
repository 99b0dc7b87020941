package dev.tether.dev;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Addresses for the edges' "nodes" on this machine: one /32 per edge on the loopback interface, so each edge
 * listens on the same ports as the others, as a DaemonSet's pods do on their own hosts. A guest reaches them through
 * the host, on qemu's user network as any outside address (qemu connects from the host) and on a {@link BootNetwork}
 * as addresses of its router, so the boot files the operator writes for these pods work unchanged in the VM. Removed
 * again on {@link #close()}.
 *
 * <p>Each local cluster takes an {@link AddressBlock} of its own, {@code 10.213.<block>.1} and up, for as long as it
 * runs: two clusters on one machine (two worktrees' VM tests, or a test beside {@code ./tether-dev up}) once took the
 * same addresses, and the first to stop removed the other's edges from under its booting machine. Addresses a killed
 * run left in a free block are taken over.
 */
final class EdgeAddresses implements AutoCloseable {
    /** A private range unlikely to be routed anywhere on a CI machine. */
    private static final String PREFIX = "10.213.";
    private static final int BLOCKS = 250;
    private static final Path LOCKS = Path.of(System.getProperty("java.io.tmpdir"), "tether-edge-addresses");

    private final List<String> added = new ArrayList<>();
    private final AddressBlock block;

    private EdgeAddresses(AddressBlock block) {
        this.block = block;
    }

    static EdgeAddresses add(int count) throws IOException, InterruptedException {
        var addresses = new EdgeAddresses(AddressBlock.take(LOCKS, BLOCKS, "edge addresses " + PREFIX + "<block>.x"));
        try {
            for (int i = 1; i <= count; i++) {
                String address = PREFIX + addresses.block.number() + "." + i;
                // Left over from a killed run of this block: take it over rather than fail.
                ip("addr", "del", address + "/32", "dev", "lo");
                if (!ip("addr", "add", address + "/32", "dev", "lo")) {
                    throw new IOException("cannot add " + address + "/32 to the loopback interface (needs root)");
                }
                addresses.added.add(address);
            }
            return addresses;
        } catch (IOException | InterruptedException | RuntimeException e) {
            addresses.close();
            throw e;
        }
    }

    String get(int index) {
        return added.get(index);
    }

    private static boolean ip(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        return Commands.succeeds(command.toArray(String[]::new));
    }

    @Override
    public void close() {
        for (String address : added) {
            try {
                ip("addr", "del", address + "/32", "dev", "lo");
            } catch (IOException e) {
                System.err.println("[EdgeAddresses] could not remove " + address + " from lo: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        added.clear();
        block.close();
    }
}

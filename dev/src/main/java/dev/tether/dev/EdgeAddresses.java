package dev.tether.dev;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Addresses for the edges' "nodes" on this machine: one /32 per edge on the loopback interface, so each edge
 * listens on the same ports as the others, as a DaemonSet's pods do on their own hosts. A guest on qemu's
 * user network reaches them as it reaches any outside address (qemu connects from the host), so the boot
 * files the operator writes for these pods work unchanged in the VM. Removed again on {@link #close()}.
 */
final class EdgeAddresses implements AutoCloseable {
    /** A private range unlikely to be routed anywhere on a CI machine. */
    private static final String PREFIX = "10.213.0.";

    private final List<String> added;

    private EdgeAddresses(List<String> added) {
        this.added = added;
    }

    static EdgeAddresses add(int count) throws IOException, InterruptedException {
        List<String> added = new ArrayList<>();
        var addresses = new EdgeAddresses(added);
        try {
            for (int i = 1; i <= count; i++) {
                String address = PREFIX + i;
                // Left over from a killed run: take it over rather than fail.
                ip("addr", "del", address + "/32", "dev", "lo");
                if (!ip("addr", "add", address + "/32", "dev", "lo")) {
                    throw new IOException("cannot add " + address + "/32 to the loopback interface (needs root)");
                }
                added.add(address);
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
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return process.waitFor() == 0;
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
    }
}

package dev.tether.agent.root;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One zram device claimed for the writable layer, configured through sysfs. A device is free when its
 * disksize is 0 (never configured, or reset); when none is, one is hot-added. Closing resets the device,
 * which frees all its memory, and removes it again if it was hot-added here.
 */
public final class ZramDevice implements Closeable {
    private static final Path SYS_BLOCK = Path.of("/sys/block");
    private static final Path CONTROL = Path.of("/sys/class/zram-control");
    private static final Pattern NAME = Pattern.compile("zram[0-9]+");
    /** devtmpfs creates the node right after hot_add; allow udev-less initramfs setups a moment. */
    private static final long DEVICE_NODE_WAIT_MS = 2_000;
    private static final long RESET_PATIENCE_NANOS = 5_000_000_000L;

    private final int id;
    private final boolean hotAdded;
    private boolean closed;

    private ZramDevice(int id, boolean hotAdded) {
        this.id = id;
        this.hotAdded = hotAdded;
    }

    /**
     * Claims a free device and configures it.
     *
     * @param algorithm a compression algorithm the kernel offers, or empty for the kernel's default
     * @param sizeBytes the device's size (its memory ceiling, not a reservation)
     */
    public static ZramDevice claim(Optional<String> algorithm, long sizeBytes, Mounter mounter)
            throws RootSetupException {
        ensureModule(mounter.tools());
        Optional<Integer> free = findFree();
        ZramDevice device = free.isPresent() ? new ZramDevice(free.get(), false) : new ZramDevice(hotAdd(), true);
        try {
            if (algorithm.isPresent()) {
                device.setAlgorithm(algorithm.get());
            }
            device.write("disksize", Long.toString(sizeBytes),
                    "cannot size " + device.name() + " to " + sizeBytes + " bytes");
            device.awaitDeviceNode();
            return device;
        } catch (RootSetupException e) {
            device.closeQuietly();
            throw e;
        }
    }

    public String name() {
        return "zram" + id;
    }

    public Path devicePath() {
        return Path.of("/dev", name());
    }

    public String algorithm() throws RootSetupException {
        String line = read("comp_algorithm");
        int start = line.indexOf('[');
        int end = line.indexOf(']');
        return start >= 0 && end > start ? line.substring(start + 1, end) : line.strip();
    }

    public long disksize() throws RootSetupException {
        return Long.parseLong(read("disksize").strip());
    }

    public ZramStats stats() throws RootSetupException {
        return ZramStats.parse(read("mm_stat"));
    }

    /** Asks zsmalloc to pack partly used pages, so memory freed by a discard shows up as freed. */
    public void compact() throws RootSetupException {
        write("compact", "1", "cannot compact " + name());
    }

    /** Resets the device (frees all its memory) and removes it if it was hot-added. It must be unmounted. */
    @Override
    public void close() throws RootSetupException {
        if (closed) {
            return;
        }
        reset();
        closed = true;
        if (hotAdded) {
            writeFile(CONTROL.resolve("hot_remove"), Integer.toString(id), "cannot remove " + name());
        }
    }

    /**
     * A device just unmounted can still be open for a moment (udev probing it after the change, the last
     * reference of the unmount being dropped), and the kernel refuses a reset while it is: try for up to
     * {@link #RESET_PATIENCE_NANOS}, then say it is still in use.
     */
    private void reset() throws RootSetupException {
        long deadline = System.nanoTime() + RESET_PATIENCE_NANOS;
        while (true) {
            try {
                write("reset", "1", "cannot reset " + name() + " (is it still mounted?)");
                return;
            } catch (RootSetupException busy) {
                // EBUSY, as the kernel words it; anything else will not pass by waiting.
                if (System.nanoTime() > deadline || !String.valueOf(busy.getMessage()).contains("busy")) {
                    throw busy;
                }
                sleepBriefly();
            }
        }
    }

    void closeQuietly() {
        try {
            close();
        } catch (RootSetupException ignored) {
            // Called while another failure is being reported; that one is the message that matters.
        }
    }

    private void setAlgorithm(String algorithm) throws RootSetupException {
        String offered = read("comp_algorithm").replace("[", "").replace("]", "").strip();
        if (!List.of(offered.split("\\s+")).contains(algorithm)) {
            throw new RootSetupException("zram compression algorithm " + algorithm + " is not offered by this kernel"
                    + " (it offers: " + offered + "); set tether.zram_alg to one of those, or leave it out for the default");
        }
        write("comp_algorithm", algorithm, "cannot set " + name() + " compression to " + algorithm);
    }

    private void awaitDeviceNode() throws RootSetupException {
        long deadline = System.nanoTime() + DEVICE_NODE_WAIT_MS * 1_000_000;
        while (!Files.exists(devicePath())) {
            if (System.nanoTime() > deadline) {
                throw new RootSetupException(devicePath() + " did not appear; is devtmpfs mounted on /dev?");
            }
            sleepBriefly();
        }
    }

    private static void ensureModule(HostTools tools) throws RootSetupException {
        if (Files.isDirectory(CONTROL) || hasAnyDevice()) {
            return;
        }
        try {
            tools.run("loading the zram module", "the initramfs must contain the zram kernel module",
                    List.of("modprobe", "zram", "num_devices=0"));
        } catch (RootSetupException e) {
            throw new RootSetupException("zram module not loaded and " + e.getMessage(), e);
        }
        if (!Files.isDirectory(CONTROL)) {
            throw new RootSetupException("zram module not loaded: modprobe zram (the kernel needs CONFIG_ZRAM)");
        }
    }

    private static boolean hasAnyDevice() {
        try (Stream<Path> devices = Files.list(SYS_BLOCK)) {
            return devices.anyMatch(dev -> NAME.matcher(dev.getFileName().toString()).matches());
        } catch (IOException e) {
            return false;
        }
    }

    /** The lowest-numbered device that is not configured; a configured one may be swap or another user's. */
    private static Optional<Integer> findFree() throws RootSetupException {
        try (Stream<Path> devices = Files.list(SYS_BLOCK)) {
            return devices.map(dev -> dev.getFileName().toString())
                    .filter(name -> NAME.matcher(name).matches())
                    .map(name -> Integer.parseInt(name.substring(4)))
                    .sorted()
                    .filter(ZramDevice::isUnconfigured)
                    .findFirst();
        } catch (IOException e) {
            throw new RootSetupException("cannot list " + SYS_BLOCK + ": " + e.getMessage() + "; is /sys mounted?", e);
        }
    }

    private static boolean isUnconfigured(int id) {
        try {
            Path dir = SYS_BLOCK.resolve("zram" + id);
            return Files.readString(dir.resolve("disksize")).strip().equals("0")
                    && Files.readString(dir.resolve("initstate")).strip().equals("0");
        } catch (IOException e) {
            return false;
        }
    }

    private static int hotAdd() throws RootSetupException {
        Path hotAdd = CONTROL.resolve("hot_add");
        try {
            return Integer.parseInt(Files.readString(hotAdd).strip());
        } catch (IOException | NumberFormatException e) {
            throw new RootSetupException("no free zram device and none could be added through " + hotAdd + " ("
                    + e.getMessage() + "); free one (zramctl --reset) or load the module with more devices", e);
        }
    }

    private String read(String attribute) throws RootSetupException {
        Path file = SYS_BLOCK.resolve(name()).resolve(attribute);
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new RootSetupException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private void write(String attribute, String value, String what) throws RootSetupException {
        writeFile(SYS_BLOCK.resolve(name()).resolve(attribute), value, what);
    }

    private static void writeFile(Path file, String value, String what) throws RootSetupException {
        try {
            Files.writeString(file, value, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new RootSetupException(what + ": writing " + value + " to " + file + " failed (" + e.getMessage() + ")", e);
        }
    }

    private static void sleepBriefly() throws RootSetupException {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RootSetupException("interrupted while waiting for a zram device");
        }
    }

    @Override
    public String toString() {
        return name();
    }
}

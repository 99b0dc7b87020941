package dev.tether.content.boot;

import dev.tether.content.metrics.ServerMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the boot configuration current. Kubernetes updates a mounted ConfigMap by swapping a
 * symlink, which file-watch APIs report unreliably, so this polls: the real path, the file itself (its inode), size
 * and modification time. The inode is what tells apart a file replaced within one tick of the file system's clock
 * (4 ms on a 250 Hz kernel) by another of the same size: same path, size and time. A configuration that fails validation is logged and counted, and the previous one stays:
 * an edge keeps booting nodes with the last good configuration while an admin is told of the bad one.
 */
public final class BootConfigWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BootConfigWatcher.class);

    /** @param fileKey the file's identity (device and inode on Linux), or null where the file system has none */
    private record Stamp(Path realPath, Object fileKey, long size, long modified) {
    }

    private final Path file;
    private final Consumer<LoadedBootConfig> onChange;
    private final ServerMetrics metrics;
    private final ScheduledExecutorService poller =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("boot-config").daemon().factory());
    private volatile LoadedBootConfig current;
    private Stamp stamp;

    /**
     * Loads the file now. A missing file is not an error (the operator may not have written it yet):
     * the edge serves no boot scripts until it appears. An invalid one is, so a typo fails loudly.
     */
    public BootConfigWatcher(Path file, Duration interval, ServerMetrics metrics, Consumer<LoadedBootConfig> onChange)
            throws IOException {
        this.file = file;
        this.onChange = onChange;
        this.metrics = metrics;
        this.current = LoadedBootConfig.empty(file.toAbsolutePath().getParent());
        Stamp s = stampOf(file);
        if (s == null) {
            log.warn("boot configuration {} does not exist yet; waiting for it", file);
        } else {
            current = LoadedBootConfig.load(file);
            stamp = s;
            log.info("boot configuration {}: {} profiles, {} nodes", file, current.profiles().size(), current.nodes().size());
        }
        onChange.accept(current);
        long ms = interval.toMillis();
        poller.scheduleWithFixedDelay(this::poll, ms, ms, TimeUnit.MILLISECONDS);
    }

    public LoadedBootConfig current() {
        return current;
    }

    /** Whether a configuration has been loaded (readiness). */
    public boolean loaded() {
        return stamp != null;
    }

    private void poll() {
        try {
            Stamp s = stampOf(file);
            if (s == null || Objects.equals(s, stamp)) {
                return;
            }
            LoadedBootConfig next = LoadedBootConfig.load(file);
            stamp = s;
            current = next;
            log.info("reloaded boot configuration {}: {} profiles, {} nodes", file, next.profiles().size(), next.nodes().size());
            onChange.accept(next);
            metrics.bootConfigReload(true);
        } catch (IOException | IllegalArgumentException e) {
            metrics.bootConfigReload(false);
            log.error("ignoring the changed boot configuration {} and keeping the previous one: {}", file, e.getMessage());
            try {
                stamp = stampOf(file);
            } catch (IOException ignored) {
                // tried again at the next poll
            }
        } catch (RuntimeException e) {
            log.error("reloading the boot configuration failed", e);
        }
    }

    private static Stamp stampOf(Path file) throws IOException {
        try {
            Path real = file.toRealPath();
            BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
            return new Stamp(real, a.fileKey(), a.size(), a.lastModifiedTime().toMillis());
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }
}

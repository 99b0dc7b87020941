package dev.tether.e2e.storm;

import dev.tether.dev.PlainHttpConnection;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;

/**
 * One simulated node booting the reference design's way: one server, no edges; kernel and initramfs downloaded whole;
 * then the root image (the plain squashfs: the reference has no encryption) read as urlmount3 reads it, each FUSE
 * request one range request of the request's size, one at a time, on one kept-alive connection, no cache and no
 * read-ahead of its own, through the connection {@code boot-agent/bench/UrlmountReference.java} uses ({@link PlainHttpConnection}). No node API:
 * the reference's own has no counterpart here, so its time to root leaves that part out.
 */
final class BaselineNode {
    /** The kernel's FUSE requests are at most 128 KiB (max_read) for urlmount3's mount. */
    static final int FUSE_MAX_READ = 128 * 1024;
    /** A storm's slowest answers come minutes late when the links are full; only a dead server should end a node. */
    static final Duration STORM_READ_TIMEOUT = Duration.ofMinutes(5);

    private final int index;
    private final URI server;
    private final String kernelPath;
    private final String initramfsPath;
    private final String rootPath;
    private final TraceReplay trace;

    BaselineNode(int index, URI server, String kernelPath, String initramfsPath, String rootPath, TraceReplay trace) {
        this.index = index;
        this.server = server;
        this.kernelPath = kernelPath;
        this.initramfsPath = initramfsPath;
        this.rootPath = rootPath;
        this.trace = trace.split(FUSE_MAX_READ);
    }

    NodeOutcome boot() {
        NodeOutcome node = new NodeOutcome(index);
        try (PlainHttpConnection loader = new PlainHttpConnection(server, STORM_READ_TIMEOUT);
             PlainHttpConnection root = new PlainHttpConnection(server, STORM_READ_TIMEOUT)) {
            node.received(node.timed("kernel", () -> loader.get(kernelPath, null)));
            node.received(node.timed("initramfs", () -> loader.get(initramfsPath, null)));
            long mount = System.nanoTime();
            TraceReader.Replayed replayed = TraceReader.replay(trace, mount, (position, dst) -> {
                int length = dst.remaining();
                try {
                    root.getRange(rootPath, position, length, dst);
                } catch (IOException e) {
                    // urlmount3 reconnects and asks again; with one URL, once.
                    root.close();
                    dst.position(dst.limit() - length);
                    root.getRange(rootPath, position, length, dst);
                }
                return length;
            });
            node.rootReached();
            node.rootReplayed(mount, replayed);
            node.received(replayed.bytes());
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return node.failed(e);
        }
        return node;
    }

}

package dev.tether.agent.image;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.LongAdder;

/**
 * Direct buffers of one size for chunks (decrypted, or sealed while they are verified), handed out and
 * taken back explicitly.
 *
 * <p>Why off the heap: a chunk is 1 MiB by default. As heap buffers, each one was a humongous allocation
 * under G1 (a collection pause of its own), and under the serial collector the agent runs with, every
 * collection copied the cache's live chunks (up to the whole cache, for the node's whole life). Direct
 * buffers cost the collector nothing but their small handles; recycling them saves allocating and
 * zeroing native memory per chunk.
 *
 * <p>At most {@code maxFree} buffers wait here for reuse; one given back beyond that is freed at once (not when
 * the collector gets to its handle: with the agent's small heap that could be minutes, and the node pays for
 * the memory meanwhile). Whoever takes a buffer owns it until giving it back, and must not touch it
 * afterwards: a buffer given back may be freed.
 */
public final class ChunkBuffers {
    private final int size;
    private final int maxFree;
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    private final LongAdder allocated = new LongAdder();
    private final LongAdder released = new LongAdder();

    public ChunkBuffers(int size, int maxFree) {
        if (size <= 0 || maxFree < 0) {
            throw new IllegalArgumentException("buffer size must be positive and the free bound not negative");
        }
        this.size = size;
        this.maxFree = maxFree;
    }

    /** Capacity of every buffer. */
    public int size() {
        return size;
    }

    /** A cleared direct buffer of {@link #size()} bytes, reused when one is free. */
    public ByteBuffer take() {
        synchronized (free) {
            ByteBuffer reused = free.pollFirst();
            if (reused != null) {
                return reused.clear();
            }
        }
        ByteBuffer fresh = ByteBuffer.allocateDirect(size);
        allocated.increment();
        return fresh;
    }

    /** Takes back a buffer from {@link #take()} that nobody reads or writes any more. */
    public void give(ByteBuffer buffer) {
        if (!buffer.isDirect() || buffer.capacity() != size) {
            throw new IllegalArgumentException("not one of these buffers: " + buffer);
        }
        synchronized (free) {
            if (free.size() < maxFree) {
                free.addFirst(buffer);
                return;
            }
        }
        DirectMemory.free(buffer);
        released.increment();
    }

    /** Buffers given back beyond the free bound, whose memory was freed. */
    public long released() {
        return released.sum();
    }

    /** Buffers waiting for reuse. */
    public int free() {
        synchronized (free) {
            return free.size();
        }
    }

    /** Buffers allocated so far (not reused ones). */
    public long allocated() {
        return allocated.sum();
    }
}

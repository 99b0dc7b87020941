package dev.tether.agent.image;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import sun.misc.Unsafe;

/**
 * Frees a direct buffer's memory now rather than when the collector finds its handle unreachable. The JDK offers
 * this only through {@code sun.misc.Unsafe#invokeCleaner} (module jdk.unsupported, which the agent's runtime has);
 * where that is missing, the buffer is left to the collector as before.
 */
final class DirectMemory {
    private static final Unsafe UNSAFE = unsafe();

    private DirectMemory() {
    }

    /** Frees {@code buffer}, a direct buffer that nothing (no view of it either) will touch again. */
    static void free(ByteBuffer buffer) {
        if (UNSAFE != null && buffer.isDirect()) {
            try {
                UNSAFE.invokeCleaner(buffer);
            } catch (IllegalArgumentException e) {
                // A slice or duplicate has no memory of its own to free: the collector frees its parent's.
            }
        }
    }

    private static Unsafe unsafe() {
        try {
            Field field = Unsafe.class.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            return (Unsafe) field.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}

package dev.tether.image.format;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Gets the JIT to compile the JDK's AES-GCM path before real chunks go through it. Until then GCM runs
 * interpreted at some 60 MiB/s instead of gigabytes per second, and with 1 MiB chunks the JIT only
 * notices after hundreds of MiB. Many small operations on a throwaway key trigger compilation in about
 * a third of a second. Done once per JVM; worth it where the chunks are large (see the agent's ChunkOpener): small
 * ones are many decrypts a MiB, which the JIT notices by itself, the sooner as the agent's launcher has it compile
 * the JDK's AES-GCM at a tenth of its thresholds.
 *
 * <p>The compiled code does not always stay: loading other classes later (an HTTP stack, FUSE) can
 * invalidate it, and then 1 MiB chunks run at a few hundred MiB/s again until the JIT has seen enough of
 * them, which takes a hundred or so. {@link #slowChunk} lets a reader report that and get a short
 * decrypt-only warm-up in the background, at most once every few seconds.
 */
public final class GcmWarmUp {
    private static final int ROUNDS = 20_000;
    private static final int SIZE = 1024;
    private static final int AGAIN_ROUNDS = 6_000;
    private static final long AGAIN_INTERVAL_NANOS = 3_000_000_000L;
    /** A chunk opened slower than this per MiB ran through uncompiled code (compiled GCM: well under 1 ms). */
    private static final long SLOW_NANOS_PER_MIB = 2_500_000;
    private static final int SLOW_CHECK_MIN_BYTES = 256 << 10;
    private static final AtomicBoolean DONE = new AtomicBoolean();
    private static final AtomicBoolean AGAIN_RUNNING = new AtomicBoolean();
    private static volatile long lastAgainNanos = System.nanoTime() - AGAIN_INTERVAL_NANOS;

    private GcmWarmUp() {
    }

    /** Warms up encryption and decryption; later calls return at once. */
    public static void ensure() {
        if (!DONE.compareAndSet(false, true)) {
            return;
        }
        run(ROUNDS, true);
    }

    /**
     * Tells the warm-up that opening {@code bytes} of sealed chunk took {@code nanos}; when that was slow
     * enough to mean uncompiled GCM, warms decryption up again on a background thread (unless it ran a
     * moment ago or is running).
     */
    public static void slowChunk(int bytes, long nanos) {
        if (bytes < SLOW_CHECK_MIN_BYTES || nanos * (1L << 20) / bytes < SLOW_NANOS_PER_MIB) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastAgainNanos < AGAIN_INTERVAL_NANOS || !AGAIN_RUNNING.compareAndSet(false, true)) {
            return;
        }
        lastAgainNanos = now;
        Thread.ofPlatform().daemon().name("gcm-warm-up-again").start(() -> {
            try {
                run(AGAIN_ROUNDS, false);
            } finally {
                lastAgainNanos = System.nanoTime();
                AGAIN_RUNNING.set(false);
            }
        });
    }

    private static void run(int rounds, boolean encryptToo) {
        try {
            SecretKeySpec key = new SecretKeySpec(new byte[32], "AES");
            Cipher encrypt = Cipher.getInstance("AES/GCM/NoPadding");
            Cipher decrypt = Cipher.getInstance("AES/GCM/NoPadding");
            // Heap ByteBuffers and AAD, the same calls ChunkSealer makes, so the same code gets compiled.
            ByteBuffer plain = ByteBuffer.allocate(SIZE);
            ByteBuffer sealed = ByteBuffer.allocate(SIZE + 16);
            ByteBuffer associated = ByteBuffer.allocate(40);
            byte[] headerDigest = new byte[32];
            byte[] nonce = new byte[12];
            if (!encryptToo) {
                // One sealed buffer to open over and over, with the AAD as ChunkSealer gives it.
                encrypt.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce.clone()));
                encrypt.updateAAD(headerDigest);
                encrypt.updateAAD(associated.clear().limit(8));
                encrypt.doFinal(plain.clear(), sealed.clear());
                sealed.flip();
            }
            for (int round = 0; round < rounds; round++) {
                if (!encryptToo) {
                    decrypt.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, nonce.clone()));
                    decrypt.updateAAD(headerDigest);
                    decrypt.updateAAD(associated.clear().limit(8));
                    decrypt.doFinal(sealed.duplicate(), plain.clear());
                    continue;
                }
                nonce[8] = (byte) (round >>> 24);
                nonce[9] = (byte) (round >>> 16);
                nonce[10] = (byte) (round >>> 8);
                nonce[11] = (byte) round;
                GCMParameterSpec parameters = new GCMParameterSpec(128, nonce.clone());
                encrypt.init(Cipher.ENCRYPT_MODE, key, parameters);
                encrypt.updateAAD(associated.clear());
                encrypt.doFinal(plain.clear(), sealed.clear());
                if (round % 2 == 0) {
                    decrypt.init(Cipher.DECRYPT_MODE, key, parameters);
                    decrypt.updateAAD(associated.clear());
                    decrypt.doFinal(sealed.flip(), plain.clear());
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java runtime has no working AES/GCM", e);
        }
    }
}

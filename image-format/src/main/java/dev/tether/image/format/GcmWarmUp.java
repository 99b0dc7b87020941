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
 * a third of a second. Done once per JVM; worth it for images of more than a few tens of MiB.
 */
public final class GcmWarmUp {
    private static final int ROUNDS = 20_000;
    private static final int SIZE = 1024;
    private static final AtomicBoolean DONE = new AtomicBoolean();

    private GcmWarmUp() {
    }

    /** Warms up encryption and decryption; later calls return at once. */
    public static void ensure() {
        if (!DONE.compareAndSet(false, true)) {
            return;
        }
        try {
            SecretKeySpec key = new SecretKeySpec(new byte[32], "AES");
            Cipher encrypt = Cipher.getInstance("AES/GCM/NoPadding");
            Cipher decrypt = Cipher.getInstance("AES/GCM/NoPadding");
            // Heap ByteBuffers and AAD, the same calls ChunkSealer makes, so the same code gets compiled.
            ByteBuffer plain = ByteBuffer.allocate(SIZE);
            ByteBuffer sealed = ByteBuffer.allocate(SIZE + 16);
            ByteBuffer associated = ByteBuffer.allocate(40);
            byte[] nonce = new byte[12];
            for (int round = 0; round < ROUNDS; round++) {
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

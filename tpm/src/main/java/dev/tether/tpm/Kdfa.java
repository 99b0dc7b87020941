package dev.tether.tpm;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * KDFa with SHA-256 (TPM 2.0 Part 1, §11.4.10.2): SP 800-108 counter mode over HMAC, each block
 * {@code HMAC(key, counter || label || 0x00 || contextU || contextV || bits)}, the output cut to {@code bits}.
 */
final class Kdfa {
    private Kdfa() {}

    static byte[] sha256(byte[] key, String label, byte[] contextU, byte[] contextV, int bits) {
        if (bits <= 0 || bits % 8 != 0) {
            throw new IllegalArgumentException("KDFa output of " + bits + " bits; Tether uses whole bytes");
        }
        try {
            Mac hmac = Mac.getInstance("HmacSHA256");
            hmac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] out = new byte[bits / 8];
            int filled = 0;
            for (int counter = 1; filled < out.length; counter++) {
                hmac.update(new WireWriter().u32(counter).toByteArray());
                hmac.update(label.getBytes(StandardCharsets.US_ASCII));
                hmac.update((byte) 0); // the label's terminating NUL is part of the input
                hmac.update(contextU);
                hmac.update(contextV);
                hmac.update(new WireWriter().u32(bits).toByteArray());
                byte[] block = hmac.doFinal();
                int n = Math.min(block.length, out.length - filled);
                System.arraycopy(block, 0, out, filled, n);
                Arrays.fill(block, (byte) 0);
                filled += n;
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
        }
    }
}

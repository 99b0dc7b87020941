package dev.tether.agent.persistence;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The key one archive is sealed with: HKDF-SHA256 (RFC 5869) of the node's persistence key, salted with the archive's
 * random salt, for {@code "tether.dev/persistence/v1" 0x00 <namespace> 0x00 <node> 0x00 <generation, 8 bytes big-endian>}.
 * So an archive opens only as the node and the generation it was sealed for: another node's archive, or this node's
 * older one served in place of the newest (a rollback), fails its first chunk's tag.
 */
final class ArchiveKey {
    static final int LENGTH = 32;
    private static final byte[] LABEL = "tether.dev/persistence/v1".getBytes(StandardCharsets.US_ASCII);

    private ArchiveKey() {
    }

    static byte[] derive(byte[] nodeKey, byte[] salt, String namespace, String node, long generation) {
        if (nodeKey.length != LENGTH) {
            throw new IllegalArgumentException("a persistence key is " + LENGTH + " bytes, not " + nodeKey.length);
        }
        byte[] ns = namespace.getBytes(StandardCharsets.UTF_8);
        byte[] name = node.getBytes(StandardCharsets.UTF_8);
        byte[] info = ByteBuffer.allocate(LABEL.length + 1 + ns.length + 1 + name.length + 1 + Long.BYTES)
                .put(LABEL).put((byte) 0).put(ns).put((byte) 0).put(name).put((byte) 0).putLong(generation).array();
        try {
            Mac hmac = Mac.getInstance("HmacSHA256");
            hmac.init(new SecretKeySpec(salt, "HmacSHA256"));
            byte[] prk = hmac.doFinal(nodeKey);
            hmac.init(new SecretKeySpec(prk, "HmacSHA256"));
            hmac.update(info);
            hmac.update((byte) 1);
            byte[] okm = hmac.doFinal();
            Arrays.fill(prk, (byte) 0);
            return okm;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is missing from this Java runtime", e);
        }
    }
}

package dev.tether.nodeapi;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * An API key only one TPM can open. A TPM credential is at most a digest (32 bytes), so the credential is a random
 * 32-byte key, made with TPM2_MakeCredential for the node's endorsement key, and the API key travels encrypted under
 * it with AES-256-GCM; the associated data binds the namespace and node name, so the answer cannot be replayed to
 * another node.
 *
 * @param credentialBlob  TPM2B_ID_OBJECT, base64
 * @param encryptedSecret TPM2B_ENCRYPTED_SECRET, base64
 * @param nonce           the GCM nonce, base64 (12 bytes)
 * @param encryptedKey    the API key (UTF-8) encrypted with the tag appended, base64
 */
public record EkBoundKey(String credentialBlob, String encryptedSecret, String nonce, String encryptedKey) {
    public static final int CREDENTIAL_BYTES = 32;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final Base64.Encoder B64 = Base64.getEncoder();

    /** The credential blob as TPM2_MakeCredential wrote it; the operator's side. */
    public static EkBoundKey seal(byte[] credentialBlob, byte[] encryptedSecret, byte[] credential, String apiKey,
            String namespace, String node, SecureRandom random) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        byte[] plain = apiKey.getBytes(StandardCharsets.UTF_8);
        try {
            Cipher gcm = cipher(Cipher.ENCRYPT_MODE, credential, nonce, namespace, node);
            return new EkBoundKey(B64.encodeToString(credentialBlob), B64.encodeToString(encryptedSecret),
                    B64.encodeToString(nonce), B64.encodeToString(gcm.doFinal(plain)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is required of every Java platform", e);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /**
     * The API key, with the credential the TPM recovered; the node's side.
     *
     * @throws IllegalArgumentException when the answer was altered, is for another node, or the fields are malformed
     */
    public String open(byte[] credential, String namespace, String node) {
        byte[] plain = null;
        try {
            Cipher gcm = cipher(Cipher.DECRYPT_MODE, credential, decode(nonce, "nonce"), namespace, node);
            plain = gcm.doFinal(decode(encryptedKey, "encryptedKey"));
            return new String(plain, StandardCharsets.UTF_8);
        } catch (AEADBadTagException e) {
            throw new IllegalArgumentException("the TPM-bound API key does not decrypt for node " + namespace + "/" + node
                    + ": it was altered on the way or is meant for another node");
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the TPM-bound API key is malformed: " + e.getMessage());
        } finally {
            if (plain != null) {
                Arrays.fill(plain, (byte) 0);
            }
        }
    }

    /** TPM2B_ID_OBJECT for TPM2_ActivateCredential. */
    public byte[] credentialBlobBytes() {
        return decode(credentialBlob, "credentialBlob");
    }

    /** TPM2B_ENCRYPTED_SECRET for TPM2_ActivateCredential. */
    public byte[] encryptedSecretBytes() {
        return decode(encryptedSecret, "encryptedSecret");
    }

    private static Cipher cipher(int mode, byte[] credential, byte[] nonce, String namespace, String node)
            throws GeneralSecurityException {
        if (credential == null || credential.length != CREDENTIAL_BYTES) {
            throw new IllegalArgumentException("the TPM credential must be " + CREDENTIAL_BYTES + " bytes");
        }
        if (nonce.length != NONCE_BYTES) {
            throw new IllegalArgumentException("the TPM-bound API key's nonce must be " + NONCE_BYTES + " bytes");
        }
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        gcm.init(mode, new SecretKeySpec(credential, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
        gcm.updateAAD(associatedData(namespace, node));
        return gcm;
    }

    /** {@code "tether.dev/api-key/v1" 0x00 namespace 0x00 node}: the key is only for this node. */
    static byte[] associatedData(String namespace, String node) {
        byte[] label = "tether.dev/api-key/v1".getBytes(StandardCharsets.UTF_8);
        byte[] ns = namespace.getBytes(StandardCharsets.UTF_8);
        byte[] name = node.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(label.length + ns.length + name.length + 2).put(label).put((byte) 0).put(ns).put((byte) 0)
                .put(name).array();
    }

    private static byte[] decode(String field, String name) {
        if (field == null) {
            throw new IllegalArgumentException("the TPM-bound API key has no " + name);
        }
        try {
            return Base64.getDecoder().decode(field);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the TPM-bound API key's " + name + " is not base64");
        }
    }

    @Override
    public String toString() {
        return "EkBoundKey[credentialBlob=" + length(credentialBlob) + " chars, encryptedKey=" + length(encryptedKey) + " chars]";
    }

    private static int length(String s) {
        return s == null ? 0 : s.length();
    }
}

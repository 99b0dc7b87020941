package dev.tether.agent.trust;

import dev.tether.tpm.Tpm2;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What the TPM keeps for a node (issue #13): its API key together with the identity of the node API CA it was
 * issued through. The key is only ever sent to a server whose certificate chains to that CA, so an addon
 * archive forged on the boot network (plain HTTP) that names another CA and another URL cannot phish it.
 *
 * <p>Sealed form: one version byte ({@link #VERSION}), the CA's 32-byte {@link CaFingerprint}, then the key's
 * ASCII. An older agent sealed the bare key ({@code tk_…}, whose first byte is never {@link #VERSION}); such a
 * key carries no CA identity and is not used: the node enrols again through arming.
 */
public record Enrolment(CaFingerprint ca, ApiKey key) {
    static final byte VERSION = 1;
    /** What a key may take of the TPM's 128 sealed bytes. */
    static final int MAX_KEY_BYTES = Tpm2.MAX_SECRET_BYTES - 1 - CaFingerprint.BYTES;

    /** The bytes to seal; the caller clears them after use. */
    byte[] toSeal() {
        byte[] key = this.key.toSeal();
        try {
            if (key.length > MAX_KEY_BYTES) {
                throw new IllegalArgumentException("the API key has " + key.length + " characters; with the CA's"
                        + " identity the TPM holds at most " + MAX_KEY_BYTES);
            }
            byte[] sealed = new byte[1 + CaFingerprint.BYTES + key.length];
            sealed[0] = VERSION;
            System.arraycopy(ca.bytes(), 0, sealed, 1, CaFingerprint.BYTES);
            System.arraycopy(key, 0, sealed, 1 + CaFingerprint.BYTES, key.length);
            return sealed;
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /**
     * The enrolment in the TPM's bytes.
     *
     * @throws IllegalArgumentException with a line for the console when the bytes are not an enrolment this agent
     *     uses, never showing them
     */
    static Enrolment fromSealed(byte[] sealed) {
        if (sealed.length > 3 && new String(sealed, 0, 3, StandardCharsets.US_ASCII).equals("tk_")) {
            throw new IllegalArgumentException("the TPM holds an API key sealed by an older agent, without the identity"
                    + " of the node API CA it belongs to; it is not sent anywhere, and the node enrols again");
        }
        if (sealed.length < 1 + CaFingerprint.BYTES + 1 || sealed[0] != VERSION) {
            throw new IllegalArgumentException("the TPM holds " + sealed.length + " bytes that are not a Tether"
                    + " enrolment (format " + (sealed.length == 0 ? "none" : sealed[0]) + ")");
        }
        CaFingerprint ca = CaFingerprint.fromBytes(Arrays.copyOfRange(sealed, 1, 1 + CaFingerprint.BYTES));
        byte[] key = Arrays.copyOfRange(sealed, 1 + CaFingerprint.BYTES, sealed.length);
        try {
            return new Enrolment(ca, ApiKey.fromSealed(key));
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }
}

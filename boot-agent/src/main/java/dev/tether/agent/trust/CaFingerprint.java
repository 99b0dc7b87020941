package dev.tether.agent.trust;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A CA known by the SHA-256 of its public key (the certificate's SubjectPublicKeyInfo), not of the certificate:
 * a CA certificate re-issued for the same key (a new expiry) keeps its fingerprint, so a node enrolled with it
 * need not be re-armed for that.
 */
public final class CaFingerprint {
    public static final int BYTES = 32;

    private final byte[] sha256;

    private CaFingerprint(byte[] sha256) {
        if (sha256.length != BYTES) {
            throw new IllegalArgumentException("a CA fingerprint has " + BYTES + " bytes, not " + sha256.length);
        }
        this.sha256 = sha256.clone();
    }

    public static CaFingerprint of(X509Certificate certificate) {
        try {
            return new CaFingerprint(MessageDigest.getInstance("SHA-256").digest(certificate.getPublicKey().getEncoded()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this Java runtime has no SHA-256", e);
        }
    }

    static CaFingerprint fromBytes(byte[] sha256) {
        return new CaFingerprint(sha256);
    }

    byte[] bytes() {
        return sha256.clone();
    }

    /** {@code sha256:} and the first 16 hex digits: enough to tell two CAs apart on a console line. */
    public String shortForm() {
        return "sha256:" + HexFormat.of().formatHex(sha256, 0, 8);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CaFingerprint that && MessageDigest.isEqual(sha256, that.sha256);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sha256);
    }

    @Override
    public String toString() {
        return "sha256:" + HexFormat.of().formatHex(sha256);
    }
}

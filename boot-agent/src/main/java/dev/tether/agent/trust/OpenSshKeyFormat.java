package dev.tether.agent.trust;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;

/**
 * The JDK's key pairs in OpenSSH's own formats (PROTOCOL.key, RFC 4253 section 6.6, RFC 5656 section 3.1,
 * RFC 8709 section 4): the public key blob of an {@code authorized_keys} line, and the unencrypted
 * {@code openssh-key-v1} private key file that {@code ssh-keygen} writes and sshd reads. The JDK makes the keys
 * (its Ed25519, EC and RSA generators are in {@code java.base}, which the agent's runtime has anyway); this
 * class only lays out their numbers, so no crypto library has to travel in the initramfs for it.
 */
final class OpenSshKeyFormat {
    /** ssh-keygen's base64 line length, so the files look like the ones it writes. */
    private static final int PEM_LINE = 70;
    /** The cipher block size of an unencrypted key ("none"): the private section is padded to it. */
    private static final int BLOCK = 8;

    private OpenSshKeyFormat() {
    }

    /** The public key blob: the algorithm name, then the key's public numbers. */
    static byte[] publicBlob(String algorithm, KeyPair pair) {
        Writer out = new Writer();
        out.string(algorithm);
        publicFields(out, algorithm, pair);
        return out.bytes();
    }

    /** The whole private key file, {@code -----BEGIN OPENSSH PRIVATE KEY-----} to its end line. */
    static String privateKeyFile(String algorithm, KeyPair pair, String comment, SecureRandom random) {
        Writer secret = new Writer();
        int check = random.nextInt();
        secret.uint32(check);
        secret.uint32(check);
        secret.string(algorithm);
        switch (algorithm) {
            case "ssh-ed25519" -> {
                byte[] publicKey = ed25519PublicKey(pair);
                byte[] seed = ((EdECPrivateKey) pair.getPrivate()).getBytes().orElseThrow();
                byte[] both = new byte[64];
                System.arraycopy(seed, 0, both, 0, 32);
                System.arraycopy(publicKey, 0, both, 32, 32);
                secret.bytes(publicKey);
                secret.bytes(both);
                Arrays.fill(seed, (byte) 0);
                Arrays.fill(both, (byte) 0);
            }
            case "ecdsa-sha2-nistp256" -> {
                publicFields(secret, algorithm, pair);
                secret.mpint(((ECPrivateKey) pair.getPrivate()).getS());
            }
            case "ssh-rsa" -> {
                RSAPrivateCrtKey key = (RSAPrivateCrtKey) pair.getPrivate();
                secret.mpint(key.getModulus());
                secret.mpint(key.getPublicExponent());
                secret.mpint(key.getPrivateExponent());
                secret.mpint(key.getCrtCoefficient());
                secret.mpint(key.getPrimeP());
                secret.mpint(key.getPrimeQ());
            }
            default -> throw new IllegalArgumentException("no OpenSSH encoding for " + algorithm);
        }
        secret.string(comment);
        for (int pad = 1; secret.size() % BLOCK != 0; pad++) {
            secret.raw(new byte[] {(byte) pad});
        }
        Writer file = new Writer();
        file.raw("openssh-key-v1\0".getBytes(StandardCharsets.US_ASCII));
        file.string("none");
        file.string("none");
        file.string("");
        file.uint32(1);
        file.bytes(publicBlob(algorithm, pair));
        byte[] section = secret.bytes();
        file.bytes(section);
        Arrays.fill(section, (byte) 0);
        byte[] body = file.bytes();
        String base64 = Base64.getEncoder().encodeToString(body);
        Arrays.fill(body, (byte) 0);
        StringBuilder pem = new StringBuilder("-----BEGIN OPENSSH PRIVATE KEY-----\n");
        for (int i = 0; i < base64.length(); i += PEM_LINE) {
            pem.append(base64, i, Math.min(base64.length(), i + PEM_LINE)).append('\n');
        }
        return pem.append("-----END OPENSSH PRIVATE KEY-----\n").toString();
    }

    private static void publicFields(Writer out, String algorithm, KeyPair pair) {
        switch (algorithm) {
            case "ssh-ed25519" -> out.bytes(ed25519PublicKey(pair));
            case "ecdsa-sha2-nistp256" -> {
                ECPublicKey key = (ECPublicKey) pair.getPublic();
                byte[] point = new byte[65];
                point[0] = 4;
                unsigned(key.getW().getAffineX(), point, 1, 32);
                unsigned(key.getW().getAffineY(), point, 33, 32);
                out.string("nistp256");
                out.bytes(point);
            }
            case "ssh-rsa" -> {
                RSAPublicKey key = (RSAPublicKey) pair.getPublic();
                out.mpint(key.getPublicExponent());
                out.mpint(key.getModulus());
            }
            default -> throw new IllegalArgumentException("no OpenSSH encoding for " + algorithm);
        }
    }

    /** The 32-byte key of RFC 8032: an Ed25519 SubjectPublicKeyInfo ends with it (RFC 8410, fixed length). */
    private static byte[] ed25519PublicKey(KeyPair pair) {
        byte[] spki = pair.getPublic().getEncoded();
        return Arrays.copyOfRange(spki, spki.length - 32, spki.length);
    }

    private static void unsigned(BigInteger value, byte[] into, int offset, int length) {
        byte[] bytes = value.toByteArray();
        int skip = bytes.length > length ? bytes.length - length : 0;
        System.arraycopy(bytes, skip, into, offset + length - (bytes.length - skip), bytes.length - skip);
    }

    /** RFC 4251's {@code uint32}, {@code string} and {@code mpint}. */
    private static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void uint32(int value) {
            out.writeBytes(ByteBuffer.allocate(4).putInt(value).array());
        }

        void string(String value) {
            bytes(value.getBytes(StandardCharsets.UTF_8));
        }

        void bytes(byte[] value) {
            uint32(value.length);
            out.writeBytes(value);
        }

        /** Two's complement, shortest form: BigInteger's own encoding of a positive number is exactly that. */
        void mpint(BigInteger value) {
            bytes(value.signum() == 0 ? new byte[0] : value.toByteArray());
        }

        void raw(byte[] value) {
            out.writeBytes(value);
        }

        int size() {
            return out.size();
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}

package dev.tether.agent.trust;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.generators.ECKeyPairGenerator;
import org.bouncycastle.crypto.generators.Ed25519KeyPairGenerator;
import org.bouncycastle.crypto.generators.RSAKeyPairGenerator;
import org.bouncycastle.crypto.params.ECKeyGenerationParameters;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.params.Ed25519KeyGenerationParameters;
import org.bouncycastle.crypto.params.RSAKeyGenerationParameters;
import org.bouncycastle.crypto.util.OpenSSHPrivateKeyUtil;
import org.bouncycastle.crypto.util.OpenSSHPublicKeyUtil;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * One SSH host key made at this boot, in the formats sshd reads: the private key as OpenSSH writes it
 * (BouncyCastle's OpenSSH encoder: {@code openssh-key-v1} for ed25519 and ECDSA, PKCS#1 PEM for RSA, which
 * sshd reads as well) and the public key as an OpenSSH line. The private key never appears in
 * {@link #toString()}.
 *
 * @param type the name in {@code /etc/ssh/ssh_host_<type>_key}: {@code ed25519}, {@code ecdsa} or {@code rsa}
 */
public record HostKey(String type, String privateKeyFile, String publicKeyLine) {
    /** The types a profile may ask for, in the order sshd offers them. */
    public static final List<String> TYPES = List.of("ed25519", "ecdsa", "rsa");
    private static final int RSA_BITS = 3072;

    public static HostKey generate(String type, SecureRandom random, String comment) {
        AsymmetricCipherKeyPair pair = switch (type) {
            case "ed25519" -> {
                Ed25519KeyPairGenerator generator = new Ed25519KeyPairGenerator();
                generator.init(new Ed25519KeyGenerationParameters(random));
                yield generator.generateKeyPair();
            }
            case "ecdsa" -> {
                ECKeyPairGenerator generator = new ECKeyPairGenerator();
                generator.init(new ECKeyGenerationParameters(ECNamedDomainParameters.lookup(SECObjectIdentifiers.secp256r1),
                        random));
                yield generator.generateKeyPair();
            }
            case "rsa" -> {
                RSAKeyPairGenerator generator = new RSAKeyPairGenerator();
                generator.init(new RSAKeyGenerationParameters(java.math.BigInteger.valueOf(65537), random, RSA_BITS, 112));
                yield generator.generateKeyPair();
            }
            default -> throw new IllegalArgumentException("no SSH host key type " + type + "; use one of " + TYPES);
        };
        byte[] privateBlob;
        try {
            privateBlob = OpenSSHPrivateKeyUtil.encodePrivateKey(pair.getPrivate());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String label = startsWith(privateBlob, "openssh-key-v1\0") ? "OPENSSH PRIVATE KEY"
                : type.equals("rsa") ? "RSA PRIVATE KEY" : "EC PRIVATE KEY";
        StringWriter pem = new StringWriter();
        try (PemWriter writer = new PemWriter(pem)) {
            writer.writeObject(new PemObject(label, privateBlob));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        java.util.Arrays.fill(privateBlob, (byte) 0);
        byte[] publicBlob;
        try {
            publicBlob = OpenSSHPublicKeyUtil.encodePublicKey(pair.getPublic());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String line = algorithm(publicBlob) + " " + Base64.getEncoder().encodeToString(publicBlob) + " " + comment;
        return new HostKey(type, pem.toString(), line);
    }

    /** The key's SSH algorithm name, the first string of its public blob ({@code ssh-ed25519}, …). */
    public String algorithm() {
        return publicKeyLine.substring(0, publicKeyLine.indexOf(' '));
    }

    /** The algorithm name a certificate for this key carries ({@code ssh-ed25519-cert-v01@openssh.com}). */
    public String certificateAlgorithm() {
        return algorithm() + "-cert-v01@openssh.com";
    }

    /** The file name of the private key in {@code /etc/ssh}. */
    public String fileName() {
        return "ssh_host_" + type + "_key";
    }

    /** Whether {@code type} is one this agent can make; profile entries are compared in lower case. */
    public static boolean known(String type) {
        return TYPES.contains(type.toLowerCase(Locale.ROOT));
    }

    private static String algorithm(byte[] blob) {
        int length = ((blob[0] & 0xff) << 24) | ((blob[1] & 0xff) << 16) | ((blob[2] & 0xff) << 8) | (blob[3] & 0xff);
        return new String(blob, 4, length, StandardCharsets.US_ASCII);
    }

    private static boolean startsWith(byte[] bytes, String prefix) {
        byte[] magic = prefix.getBytes(StandardCharsets.US_ASCII);
        return bytes.length >= magic.length && java.util.Arrays.equals(bytes, 0, magic.length, magic, 0, magic.length);
    }

    @Override
    public String toString() {
        return "HostKey[" + publicKeyLine + ", private key (redacted)]";
    }
}

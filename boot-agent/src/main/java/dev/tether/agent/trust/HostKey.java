package dev.tether.agent.trust;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * One SSH host key made at this boot by the JDK's own key pair generators, in the formats sshd reads: the
 * private key as {@code ssh-keygen} writes it ({@code openssh-key-v1}, see {@link OpenSshKeyFormat}) and the
 * public key as an OpenSSH line. The private key never appears in
 * {@link #toString()}.
 *
 * @param type the name in {@code /etc/ssh/ssh_host_<type>_key}: {@code ed25519}, {@code ecdsa} or {@code rsa}
 */
public record HostKey(String type, String privateKeyFile, String publicKeyLine) {
    /** The types a profile may ask for, in the order sshd offers them. */
    public static final List<String> TYPES = List.of("ed25519", "ecdsa", "rsa");
    private static final int RSA_BITS = 3072;

    public static HostKey generate(String type, SecureRandom random, String comment) {
        String algorithm = switch (type) {
            case "ed25519" -> "ssh-ed25519";
            case "ecdsa" -> "ecdsa-sha2-nistp256";
            case "rsa" -> "ssh-rsa";
            default -> throw new IllegalArgumentException("no SSH host key type " + type + "; use one of " + TYPES);
        };
        KeyPair pair = generatePair(type, random);
        String line = algorithm + " " + Base64.getEncoder().encodeToString(OpenSshKeyFormat.publicBlob(algorithm, pair))
                + " " + comment;
        return new HostKey(type, OpenSshKeyFormat.privateKeyFile(algorithm, pair, comment, random), line);
    }

    private static KeyPair generatePair(String type, SecureRandom random) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(type.equals("ed25519") ? "Ed25519"
                    : type.equals("ecdsa") ? "EC" : "RSA");
            AlgorithmParameterSpec parameters = switch (type) {
                case "ed25519" -> NamedParameterSpec.ED25519;
                case "ecdsa" -> new ECGenParameterSpec("secp256r1");
                default -> new RSAKeyGenParameterSpec(RSA_BITS, RSAKeyGenParameterSpec.F4);
            };
            generator.initialize(parameters, random);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            // java.base has all three generators; a runtime without one is a broken bundle, not a bad profile.
            throw new IllegalStateException("this Java runtime cannot make " + type + " keys: " + e.getMessage(), e);
        }
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

    @Override
    public String toString() {
        return "HostKey[" + publicKeyLine + ", private key (redacted)]";
    }
}

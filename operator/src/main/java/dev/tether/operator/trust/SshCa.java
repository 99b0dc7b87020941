package dev.tether.operator.trust;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.Iterator;
import java.util.Map;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.util.security.SecurityUtils;

/**
 * The SSH CA that signs the nodes' host keys: an OpenSSH private key in a Secret of the operator's
 * namespace. The operator makes an ed25519 one if the Secret does not exist; an administrator may
 * instead put their own there (the file {@code ssh-keygen -t ed25519 -f ca} writes, unencrypted).
 */
public final class SshCa {
    public static final String DEFAULT_KEY = "ssh-ca";
    private static final String COMMENT = "tether-ssh-ca";

    private final KeyPair keyPair;
    private final String publicKey;

    private SshCa(KeyPair keyPair) {
        this.keyPair = keyPair;
        this.publicKey = PublicKeyEntry.toString(keyPair.getPublic()) + " " + COMMENT;
    }

    /** The CA in key {@code key} of Secret {@code namespace/secretName}, created first if the Secret does not exist. */
    public static SshCa loadOrCreate(KubernetesClient client, String namespace, String secretName, String key) {
        Map<String, String> data = OperatorSecrets.readOrCreate(client, namespace, secretName, "ssh-ca", () -> Map.of(key, fresh()));
        String text = data.get(key);
        if (text == null) {
            throw new IllegalStateException("Secret " + namespace + "/" + secretName + " has no key " + key
                    + "; put the SSH CA's OpenSSH private key there, or point the operator at another key of the Secret");
        }
        return new SshCa(read(text, namespace + "/" + secretName));
    }

    /** The CA's public key as an OpenSSH line, for {@code @cert-authority} trust. */
    public String publicKey() {
        return publicKey;
    }

    KeyPair keyPair() {
        return keyPair;
    }

    @Override
    public String toString() {
        return "SshCa[" + publicKey + ", key=(redacted)]";
    }

    private static String fresh() {
        try {
            KeyPair pair = KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
            var out = new ByteArrayOutputStream();
            new OpenSSHKeyPairResourceWriter().writePrivateKey(pair, COMMENT, null, out);
            return out.toString(StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("could not make an ed25519 SSH CA key", e);
        }
    }

    private static KeyPair read(String text, String where) {
        try {
            Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(where),
                    new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), null);
            Iterator<KeyPair> it = pairs == null ? null : pairs.iterator();
            if (it == null || !it.hasNext()) {
                throw new IllegalStateException("the SSH CA key in Secret " + where + " holds no key pair");
            }
            return it.next();
        } catch (GeneralSecurityException | IOException e) {
            // Never the parser's message: it could quote the key.
            throw new IllegalStateException("the SSH CA key in Secret " + where
                    + " is not an unencrypted OpenSSH private key (" + e.getClass().getSimpleName() + ")");
        }
    }
}

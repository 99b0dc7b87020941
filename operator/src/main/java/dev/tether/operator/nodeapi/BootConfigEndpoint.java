package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.SecretKeyRef;
import dev.tether.operator.profile.ResolvedImage;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * {@code GET boot-config}: everything the node needs to build its root, read fresh from its credential,
 * profile, image and the root password Secret. A node whose profile cannot boot (no profile, no published
 * image, a missing password Secret) is answered 409 with what the administrator must fix.
 */
final class BootConfigEndpoint implements Endpoint {
    private final KubernetesClient client;
    private final ProfileReader profiles;
    private final String sshCaPublicKey;

    BootConfigEndpoint(KubernetesClient client, ProfileReader profiles, String sshCaPublicKey) {
        this.client = client;
        this.profiles = profiles;
        this.sshCaPublicKey = sshCaPublicKey;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public Reply handle(NodeContext context) throws Refusal {
        var profile = profiles.profile(context.credential());
        var image = ResolvedImage.resolve(profile, Optional.ofNullable(profiles.image(profile)));
        if (!image.ok()) {
            throw new Refusal(409, "NotBootable", image.problem());
        }
        String passwordHash = rootPasswordHash(context.namespace(), profile.getSpec().rootPasswordHash);
        return Reply.json(200, BootConfigurations.of(context.credential(), profile, image.version(), passwordHash, sshCaPublicKey));
    }

    private String rootPasswordHash(String namespace, SecretKeyRef ref) throws Refusal {
        if (ref == null) {
            return null;
        }
        var secret = client.secrets().inNamespace(namespace).withName(ref.name).get();
        String encoded = secret == null || secret.getData() == null ? null : secret.getData().get(ref.key);
        String plain = secret == null || secret.getStringData() == null ? null : secret.getStringData().get(ref.key);
        if (encoded == null && plain == null) {
            throw new Refusal(409, "NotBootable", "the profile's rootPasswordHash names key " + ref.key + " of Secret " + namespace
                    + "/" + ref.name + ", which does not exist; create it (a crypt(3) hash, e.g. from 'mkpasswd -m sha-512')"
                    + " or remove spec.rootPasswordHash");
        }
        String hash = encoded != null ? new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8) : plain;
        return hash.strip();
    }
}

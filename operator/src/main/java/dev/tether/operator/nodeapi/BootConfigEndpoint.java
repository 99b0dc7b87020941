package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.operator.identity.ConfigMapTemplates;
import dev.tether.operator.identity.NodeIdentities;
import dev.tether.operator.profile.ResolvedImage;
import dev.tether.operator.profile.RootPasswordSecret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Optional;

/**
 * {@code GET boot-config}: everything the node needs to build its root, read fresh from its credential,
 * profile, image and the root password Secret. A node whose profile cannot boot (no profile, no published
 * image, a root password Secret that is missing or not marked for that use) is answered 409 with what the
 * administrator must fix: a node never boots without the password its profile asks for. Node files that cannot be
 * rendered do not stop the boot: the answer carries none of them and says why ({@link NodeIdentities}).
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
        String passwordHash = rootPasswordHash(profile);
        // Rendered afresh for each boot: a node never gets files rendered for another, or from a stale template.
        var identity = NodeIdentities.render(context.credential(), profile, new ConfigMapTemplates(client)).identity();
        return Reply.json(200, BootConfigurations.of(context.credential(), profile, image.version(), passwordHash, sshCaPublicKey,
                identity));
    }

    private String rootPasswordHash(NodeProfile profile) throws Refusal {
        return switch (profiles.rootPassword(profile)) {
            case RootPasswordSecret.NotSet none -> null;
            case RootPasswordSecret.Hash hash -> hash.value();
            case RootPasswordSecret.NotUsable refused -> throw new Refusal(409, "NotBootable", refused.message());
        };
    }
}

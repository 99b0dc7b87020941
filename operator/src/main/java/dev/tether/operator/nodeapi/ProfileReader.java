package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeProfile;
import io.fabric8.kubernetes.client.KubernetesClient;

/** The NodeProfile a node's credential names, and the DisklessImage that profile boots. */
final class ProfileReader {
    private final KubernetesClient client;

    ProfileReader(KubernetesClient client) {
        this.client = client;
    }

    NodeProfile profile(NodeCredential credential) throws Refusal {
        String namespace = credential.getMetadata().getNamespace();
        String name = credential.getSpec().profile;
        NodeProfile profile = client.resources(NodeProfile.class).inNamespace(namespace).withName(name).get();
        if (profile == null) {
            throw new Refusal(409, "NotBootable", "NodeCredential " + namespace + "/" + credential.getMetadata().getName()
                    + " names NodeProfile " + name + ", which does not exist; create it or fix spec.profile");
        }
        return profile;
    }

    /** The profile's image, or null when it does not exist (the caller says what that means for it). */
    DisklessImage image(NodeProfile profile) {
        return client.resources(DisklessImage.class).inNamespace(profile.getMetadata().getNamespace())
                .withName(profile.getSpec().image.name).get();
    }
}

package dev.tether.operator.image;

import dev.tether.api.v1alpha1.DisklessImage;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Optional;

/**
 * The pull Secret an OCI image names, as its builder would meet it.
 *
 * <p>Whoever may write a DisklessImage may name any Secret of its namespace as the pull Secret, and the builder runs
 * that image's steps as root beside the mounted Secret. Only registry credentials are mounted, so a DisklessImage
 * cannot carry off a TLS key or a token that happens to live there: any other Secret refuses the build. A missing one
 * refuses nothing (the builder pod waits for it, silently in the Job), but the administrator hears of it, with what
 * to create.
 *
 * @param refusal why the build may not start
 * @param missing what to tell the administrator when the builder will wait for its Secret
 */
record PullSecretCheck(Optional<String> refusal, Optional<String> missing) {
    private static final PullSecretCheck FINE = new PullSecretCheck(Optional.empty(), Optional.empty());

    static PullSecretCheck of(DisklessImage image, KubernetesClient client) {
        String name = BuildJob.pullSecretOf(image.getSpec());
        if (name == null) {
            return FINE;
        }
        String ns = image.getMetadata().getNamespace();
        Secret secret = client.secrets().inNamespace(ns).withName(name).get();
        if (secret == null) {
            return new PullSecretCheck(Optional.empty(), Optional.of("The pull Secret " + name + " is not in namespace " + ns
                    + "; the builder waits for it. Create it with: kubectl -n " + ns + " create secret docker-registry " + name
                    + " --docker-server=REGISTRY --docker-username=USER --docker-password=PASSWORD"));
        }
        if (BuildJob.PULL_SECRET_TYPES.contains(secret.getType())) {
            return FINE;
        }
        return new PullSecretCheck(Optional.of("The pull Secret " + name + " has type " + secret.getType()
                + "; only registry credentials (" + String.join(" or ", BuildJob.PULL_SECRET_TYPES) + ") are mounted into a"
                + " builder. Make one with: kubectl -n " + ns + " create secret docker-registry NAME --docker-server=REGISTRY"
                + " --docker-username=USER --docker-password=PASSWORD"), Optional.empty());
    }
}

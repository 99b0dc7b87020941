package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageStatus.ImageVersion;
import dev.tether.api.v1alpha1.Patterns;
import dev.tether.image.format.ImageKey;
import dev.tether.nodeapi.ImageKeyIssued;
import dev.tether.operator.image.ImageKeySecret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET image-key?digest=sha256:…}: the key of one version of the image the node's profile boots,
 * and of no other. Any version the image still keeps qualifies (a node may still run an older one).
 * A digest of another image's version is refused 403; a digest no image has, 404.
 */
final class ImageKeyEndpoint implements Endpoint {
    private static final Logger LOG = LoggerFactory.getLogger(ImageKeyEndpoint.class);
    private static final Pattern DIGEST = Pattern.compile(Patterns.DIGEST);

    private final KubernetesClient client;
    private final ProfileReader profiles;
    private final CachedReads cache;

    ImageKeyEndpoint(KubernetesClient client, ProfileReader profiles, CachedReads cache) {
        this.client = client;
        this.profiles = profiles;
        this.cache = cache;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public Reply handle(NodeContext context) throws Refusal {
        String digest = context.call().queryParameter("digest");
        if (digest == null || digest.length() != 71 || !DIGEST.matcher(digest).matches()) {
            throw Refusal.badRequest("BadDigest", "give the image version as ?digest=sha256:<64 lower-case hex digits>");
        }
        var profile = profiles.profile(context.credential());
        ImageVersion version = versionOf(profiles.image(profile), digest)
                .or(() -> versionOf(profiles.imageFromApiServer(profile), digest)).orElse(null);
        if (version == null) {
            boolean elsewhere = client.resources(DisklessImage.class).inNamespace(context.namespace()).list().getItems().stream()
                    .anyMatch(other -> versionOf(other, digest).isPresent());
            if (elsewhere) {
                throw new Refusal(403, "NotThisNodesImage", "version " + digest + " is not a version of DisklessImage "
                        + profile.getSpec().image.name + ", which NodeProfile " + profile.getMetadata().getName()
                        + " of this node boots; a node gets only the keys of its own profile's image");
            }
            throw new Refusal(404, "UnknownVersion", "DisklessImage " + profile.getSpec().image.name + " has no version " + digest
                    + " (it may have been garbage-collected); boot the digest that boot-config names");
        }
        return Reply.json(200, key(context.namespace(), version));
    }

    private ImageKeyIssued key(String namespace, ImageVersion version) throws Refusal {
        if (version.keySecret == null || Boolean.FALSE.equals(version.encrypted)) {
            throw new Refusal(404, "NoKey", "version " + version.digest + " is not encrypted; it needs no key");
        }
        var secret = cache.imageKey(namespace, version.keySecret)
                .orElseGet(() -> client.secrets().inNamespace(namespace).withName(version.keySecret).get());
        String encoded = secret == null || secret.getData() == null ? null : secret.getData().get(ImageKeySecret.KEY);
        if (encoded == null) {
            LOG.error("the key Secret {}/{} of image version {} is missing", namespace, version.keySecret, version.digest);
            throw new Refusal(404, "NoKey", "the key of version " + version.digest + " is gone (Secret " + version.keySecret
                    + "); the version cannot be booted any more");
        }
        byte[] bytes = Base64.getDecoder().decode(encoded);
        try {
            String keyId = ImageKey.of(bytes).keyIdHex();
            if (version.keyId != null && !version.keyId.equals(keyId)) {
                LOG.error("the key in Secret {}/{} has id {} but image version {} was sealed with key id {}", namespace,
                        version.keySecret, keyId, version.digest, version.keyId);
                throw new Refusal(409, "KeyMismatch", "the stored key of version " + version.digest + " is not the key it was"
                        + " sealed with; an administrator must restore Secret " + version.keySecret);
            }
            return new ImageKeyIssued(version.digest, keyId, HexFormat.of().formatHex(bytes));
        } catch (IllegalArgumentException e) {
            throw new Refusal(409, "KeyMismatch", "the stored key of version " + version.digest + " is not a 256-bit key;"
                    + " an administrator must restore Secret " + version.keySecret);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    private static Optional<ImageVersion> versionOf(DisklessImage image, String digest) {
        if (image == null || image.getStatus() == null) {
            return Optional.empty();
        }
        return image.getStatus().versions.stream().filter(v -> digest.equals(v.digest)).findFirst();
    }
}

package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageStatus.ImageVersion;
import dev.tether.api.v1alpha1.Patterns;
import dev.tether.nodeapi.BootFiles;
import dev.tether.operator.image.BootOrderConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST boot-files}: the files a node's boot read from a version of its profile's image, kept as the image's
 * boot order ({@link BootOrderConfigMap}) when it has none. Untrusted input: the list is bounded ({@link BootFiles}:
 * entries, name and path lengths, total size), every path absolute, normalised, printable; the digest must be a
 * version of this node's own profile's image, so a node cannot write another image's order. One list per node per
 * {@link #MIN_INTERVAL} (an agent sends one per boot); more is refused 429.
 */
final class BootFilesEndpoint implements Endpoint {
    private static final Logger LOG = LoggerFactory.getLogger(BootFilesEndpoint.class);
    private static final Pattern DIGEST = Pattern.compile(Patterns.DIGEST);
    static final Duration MIN_INTERVAL = Duration.ofMinutes(1);
    /** Nodes remembered for the interval; beyond it the oldest are forgotten, so the map stays bounded. */
    private static final int MAX_REMEMBERED = 100_000;

    private final KubernetesClient client;
    private final ProfileReader profiles;
    private final Clock clock;
    private final Map<String, Instant> lastAccepted = new ConcurrentHashMap<>();

    BootFilesEndpoint(KubernetesClient client, ProfileReader profiles, Clock clock) {
        this.client = client;
        this.profiles = profiles;
        this.clock = clock;
    }

    @Override
    public String method() {
        return "POST";
    }

    @Override
    public Reply handle(NodeContext context) throws Refusal {
        String node = context.namespace() + "/" + context.credentialName();
        Instant now = clock.instant();
        Instant last = lastAccepted.get(node);
        if (last != null && last.plus(MIN_INTERVAL).isAfter(now)) {
            long wait = Duration.between(now, last.plus(MIN_INTERVAL)).toSeconds() + 1;
            throw Refusal.rateLimited("a node sends its boot's file list once per boot; try again in " + wait + " s", wait);
        }
        BootFiles files = NodeApiJson.read(context.call().body(), BootFiles.class, "BadBootFiles");
        if (files.digest() == null || files.digest().length() != 71 || !DIGEST.matcher(files.digest()).matches()) {
            throw Refusal.badRequest("BadBootFiles", "digest must be the booted image's sha256:<64 lower-case hex digits>");
        }
        List<String> paths;
        try {
            paths = files.paths();
        } catch (IllegalArgumentException e) {
            throw Refusal.badRequest("BadBootFiles", e.getMessage() + "; paths must be absolute and normalised (no empty,"
                    + " . or .. segments, no control characters), at most " + BootFiles.MAX_PATH_BYTES + " bytes each");
        }
        var profile = profiles.profile(context.credential());
        DisklessImage image = profiles.image(profile);
        if (image == null || !isVersionOf(image, files.digest())) {
            throw new Refusal(403, "NotThisNodesImage", "version " + files.digest() + " is not a version of DisklessImage "
                    + profile.getSpec().image.name + ", which NodeProfile " + profile.getMetadata().getName()
                    + " of this node boots; a node reports only its own profile's image");
        }
        remember(node, now);
        if (BootOrderConfigMap.keepFirst(client, image, files.digest(), context.credentialName(), paths, now)) {
            LOG.info("kept the boot order of DisklessImage {}/{}: {} files read by node {} booting {}", context.namespace(),
                    image.getMetadata().getName(), paths.size(), context.credentialName(), files.digest());
        }
        return Reply.noContent();
    }

    private void remember(String node, Instant now) {
        if (lastAccepted.size() >= MAX_REMEMBERED) {
            lastAccepted.values().removeIf(at -> !at.plus(MIN_INTERVAL).isAfter(now));
        }
        lastAccepted.put(node, now);
    }

    private static boolean isVersionOf(DisklessImage image, String digest) {
        return image.getStatus() != null && image.getStatus().versions.stream().map((ImageVersion v) -> v.digest)
                .anyMatch(digest::equals);
    }
}

package dev.tether.operator.image;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageStatus.ImageVersion;
import dev.tether.operator.EventRecorder;
import dev.tether.operator.EventRecorder.Type;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An image's garbage: its versions beyond the retained count that nothing uses any more, and, when the image is
 * deleted, all its blobs on the origin that no other image references.
 */
final class VersionCollector {
    private static final Logger LOG = LoggerFactory.getLogger(VersionCollector.class);
    /** The longest a collection that met a claimed blob waits before it looks again. */
    static final Duration CLAIM_RECHECK = Duration.ofSeconds(30);

    private final ImageUsage usage;
    private final OriginClient origin;

    VersionCollector(ImageUsage usage, OriginClient origin) {
        this.usage = usage;
        this.origin = origin;
    }

    /**
     * Removes versions beyond the retained count that no profile pins and no node last booted.
     *
     * <p>A blob of such a version may be one a build in progress relies on: it found the blob on the origin and did not
     * upload it, and its version, not published yet, is not counted here. The build claimed it, so the origin refuses to
     * delete it (409, {@link OriginClient.BlobClaimed}). The version then stays in status, with its key, until a later
     * collection finds the blob referenced by the new version or the claim expired; that is no failure, so no event.
     *
     * @return when to collect again because a claimed blob was kept, or null
     */
    Duration collect(DisklessImage image, KubernetesClient client, EventRecorder events) {
        var status = image.getStatus();
        int retain = image.getSpec().retainVersions == null ? 3 : image.getSpec().retainVersions;
        if (status.versions.size() <= retain) {
            // Nothing can go, so there is no need to list every profile and credential of the namespace.
            return null;
        }
        var inUse = usage.digestsInUse(client, image);
        var removable = VersionRetention.removable(status.versions, retain, inUse);
        if (removable.isEmpty()) {
            return null;
        }
        var keptBlobs = usage.blobsReferenced(client, image, removable);
        Duration retry = null;
        for (ImageVersion version : removable) {
            try {
                OriginClient.BlobClaimed claimed = null;
                for (String blob : ImageUsage.blobs(version)) {
                    if (!keptBlobs.contains(blob)) {
                        try {
                            origin.delete(blob);
                        } catch (OriginClient.BlobClaimed e) {
                            claimed = e;
                        }
                    }
                }
                if (claimed != null) {
                    LOG.debug("kept version {} of {}/{} for now: {}", version.digest, image.getMetadata().getNamespace(), image.getMetadata().getName(),
                            claimed.getMessage());
                    retry = earlier(retry, claimRetry(claimed));
                    continue;
                }
                if (version.keySecret != null) {
                    client.secrets().inNamespace(image.getMetadata().getNamespace()).withName(version.keySecret).delete();
                }
                status.versions.remove(version);
                events.record(image, Type.Normal, "VersionRemoved",
                        "Removed version " + version.digest + ": no profile pins it and no node booted it.");
            } catch (IOException | RuntimeException e) {
                LOG.warn("could not remove version {} of {}/{}: {}", version.digest, image.getMetadata().getNamespace(), image.getMetadata().getName(), e.getMessage());
                events.record(image, Type.Warning, "VersionRemovalFailed",
                        "Could not remove version " + version.digest + " yet (will retry): " + e.getMessage());
            }
        }
        return retry;
    }

    /**
     * How soon to look again at a blob a build claimed: when its claim ends, but at most {@link #CLAIM_RECHECK}, since the
     * build may publish (and its version then count the blob as referenced) long before its grant expires.
     */
    static Duration claimRetry(OriginClient.BlobClaimed claimed) {
        Duration d = claimed.retryAfter();
        return d.compareTo(CLAIM_RECHECK) > 0 ? CLAIM_RECHECK : d;
    }

    static Duration earlier(Duration a, Duration b) {
        return a == null || b.compareTo(a) < 0 ? b : a;
    }

    /**
     * Deletes every blob of a deleted image's versions that no other image references.
     *
     * @return when to try again because another image's build claimed a blob, or null when all are gone
     */
    Duration deleteAll(DisklessImage image, KubernetesClient client) throws IOException {
        var versions = image.getStatus().versions;
        var keptBlobs = usage.blobsReferenced(client, image, versions);
        Duration retry = null;
        for (ImageVersion version : versions) {
            for (String blob : ImageUsage.blobs(version)) {
                if (!keptBlobs.contains(blob)) {
                    try {
                        origin.delete(blob);
                    } catch (OriginClient.BlobClaimed e) {
                        // Another image's build relies on it; once its version is published the blob counts as
                        // referenced (or the claim expires), and the image goes.
                        LOG.debug("deleting {}/{}: kept {} for now: {}", image.getMetadata().getNamespace(),
                                image.getMetadata().getName(), blob, e.getMessage());
                        retry = earlier(retry, claimRetry(e));
                    }
                }
            }
        }
        return retry;
    }
}

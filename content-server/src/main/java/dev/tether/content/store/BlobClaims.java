package dev.tether.content.store;

import dev.tether.contracts.BlobDigest;
import dev.tether.origin.UploadGrant;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which blobs builds in progress rely on. A build that finds a blob already stored does not upload it, so the
 * operator's garbage collection, which counts only the blobs of published versions, could delete it before the build's
 * version is published. So a build <em>claims</em> every blob it will name (an upload by a build claims what it
 * stored, and {@code POST /claims/sha256/<hex>} claims a blob that is already here), and a claimed blob cannot be
 * deleted until the claim expires: at the expiry of the build's upload grant, which outlives the build and the moment
 * the operator records the new version.
 *
 * <p>A claim is a file {@code <root>/claims/sha256/<hex>} holding {@code <expiry, Unix seconds> <build>}, written
 * beside and synced like a blob, so claims survive a restart. Of several builds' claims on one blob the one that lasts
 * longest is kept (the others end earlier, so it covers them). Expired claims are forgotten on their own and their
 * files removed when next met. The number of claims is bounded; each names a blob that was stored when it was made,
 * and at most one claim is kept per blob.
 *
 * <p>{@link #claimIfStored} and {@link #deleteUnlessClaimed} hold one lock, so a collection cannot delete a blob between
 * a build's finding it and its claim being recorded.
 */
public final class BlobClaims {
    private static final Logger log = LoggerFactory.getLogger(BlobClaims.class);
    public static final int DEFAULT_LIMIT = 100_000;
    /** A build names four blobs; a leaked grant must not be able to fill the table for everyone. */
    public static final int DEFAULT_PER_BUILD_LIMIT = 1024;
    private static final String TEMP_PREFIX = ".claim-";

    /** A live claim: {@code build} relies on the blob until {@code until}. */
    public record Claim(String build, Instant until) {}

    /** What {@link #claimIfStored} did. */
    public enum ClaimResult { CLAIMED, NOT_STORED }

    /** What {@link #deleteUnlessClaimed} did; {@code claim} is set for {@code CLAIMED}. */
    public record Deletion(boolean deleted, Claim claim) {}

    /** Too many live claims to record another; nothing was recorded. */
    public static final class ClaimsFull extends IOException {
        ClaimsFull(String message) {
            super(message);
        }
    }

    private final Path dir;
    private final Clock clock;
    private final int limit;
    private final int perBuildLimit;
    private final Map<BlobDigest, Claim> claims = new HashMap<>();

    private BlobClaims(Path dir, Clock clock, int limit, int perBuildLimit) {
        this.dir = dir;
        this.clock = clock;
        this.limit = limit;
        this.perBuildLimit = perBuildLimit;
    }

    /** Opens (creating if needed) the claims under {@code root}: live ones are loaded, expired or unreadable ones removed. */
    public static BlobClaims open(Path root, Clock clock) throws IOException {
        return open(root, clock, DEFAULT_LIMIT, DEFAULT_PER_BUILD_LIMIT);
    }

    /**
     * @param limit         the most live claims kept
     * @param perBuildLimit the most live claims one build may hold
     */
    public static BlobClaims open(Path root, Clock clock, int limit, int perBuildLimit) throws IOException {
        Path dir = root.resolve("claims").resolve("sha256");
        Files.createDirectories(dir);
        BlobClaims claims = new BlobClaims(dir, clock, limit, perBuildLimit);
        Instant now = clock.instant();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path p : files) {
                String name = p.getFileName().toString();
                BlobDigest digest = BlobDigest.ofHexOrNull(name);
                Claim claim = digest == null ? null : read(p);
                if (claim == null || !now.isBefore(claim.until()) || claims.claims.size() >= limit) {
                    Files.deleteIfExists(p);
                    if (!name.startsWith(TEMP_PREFIX) && claim != null && now.isBefore(claim.until())) {
                        log.warn("dropped the claim on {} of build {}: more than {} claims are stored", name, claim.build(), limit);
                    }
                } else {
                    claims.claims.put(digest, claim);
                }
            }
        }
        return claims;
    }

    private static Claim read(Path file) {
        try {
            if (Files.size(file) > 512) {
                return null;
            }
            String[] parts = Files.readString(file, StandardCharsets.UTF_8).strip().split(" ", -1);
            if (parts.length != 2 || !parts[0].matches("[0-9]{1,12}")) {
                return null;
            }
            // The grant's own rules for a build's name and expiry.
            UploadGrant g = new UploadGrant(parts[1], Instant.ofEpochSecond(Long.parseLong(parts[0])));
            return new Claim(g.build(), g.expires());
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    /** The live claim on {@code digest}, or null. */
    public synchronized Claim holder(BlobDigest digest) {
        Claim claim = claims.get(digest);
        if (claim != null && !clock.instant().isBefore(claim.until())) {
            forget(digest);
            return null;
        }
        return claim;
    }

    public synchronized int size() {
        return claims.size();
    }

    /**
     * Claims {@code digest} for {@code build} until {@code until} if the store holds it; blocks on the disk. Atomic with
     * {@link #deleteUnlessClaimed}.
     */
    public synchronized ClaimResult claimIfStored(BlobStore store, BlobDigest digest, String build, Instant until) throws IOException {
        if (!store.contains(digest)) {
            return ClaimResult.NOT_STORED;
        }
        claim(digest, build, until);
        return ClaimResult.CLAIMED;
    }

    /**
     * Claims {@code digest} whether or not it is stored yet (an upload claims before it commits, so the blob is never
     * visible unclaimed); blocks on the disk. An existing claim that lasts longer is kept.
     */
    public synchronized void claim(BlobDigest digest, String build, Instant until) throws IOException {
        Instant expiry = Instant.ofEpochSecond(until.getEpochSecond());
        if (!clock.instant().isBefore(expiry)) {
            return;
        }
        Claim existing = holder(digest);
        if (existing != null && !existing.until().isBefore(expiry)) {
            return;
        }
        if (existing == null && claims.size() >= limit) {
            sweep();
            if (claims.size() >= limit) {
                throw new ClaimsFull("the origin holds " + limit + " live claims, its limit; try again once builds have ended");
            }
        }
        if ((existing == null || !existing.build().equals(build)) && claimsOf(build) >= perBuildLimit) {
            sweep();
            if (claimsOf(build) >= perBuildLimit) {
                throw new ClaimsFull("build " + build + " already holds " + perBuildLimit + " claims, the most one build may hold");
            }
        }
        Path temp = Files.createTempFile(dir, TEMP_PREFIX + digest.hex() + "-", "");
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                out.write(ByteBuffer.wrap((expiry.getEpochSecond() + " " + build + "\n").getBytes(StandardCharsets.UTF_8)));
                out.force(true);
            }
            DurableFiles.publish(temp, dir.resolve(digest.hex()));
        } finally {
            Files.deleteIfExists(temp);
        }
        claims.put(digest, new Claim(build, expiry));
    }

    /** Deletes {@code digest} from {@code store} unless a live claim holds it; blocks on the disk. */
    public synchronized Deletion deleteUnlessClaimed(BlobStore store, BlobDigest digest) throws IOException {
        Claim claim = holder(digest);
        if (claim != null) {
            return new Deletion(false, claim);
        }
        return new Deletion(store.delete(digest), null);
    }

    private long claimsOf(String build) {
        return claims.values().stream().filter(c -> c.build().equals(build)).count();
    }

    private void sweep() {
        Instant now = clock.instant();
        claims.entrySet().removeIf(e -> {
            if (now.isBefore(e.getValue().until())) {
                return false;
            }
            removeFile(e.getKey());
            return true;
        });
    }

    private void forget(BlobDigest digest) {
        claims.remove(digest);
        removeFile(digest);
    }

    private void removeFile(BlobDigest digest) {
        try {
            // Not synced: an expired claim that comes back after a crash is expired still.
            Files.deleteIfExists(dir.resolve(digest.hex()));
        } catch (IOException e) {
            log.warn("cannot remove the expired claim on {}: {}", digest, e.toString());
        }
    }
}

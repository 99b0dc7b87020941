package dev.tether.content.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.content.origin.OriginServer;
import dev.tether.content.store.BearerToken;
import dev.tether.content.store.BlobClaims;
import dev.tether.content.store.BlobStore;
import dev.tether.content.testing.Blobs;
import dev.tether.content.testing.TestClock;
import dev.tether.content.testing.TestServers;
import dev.tether.contracts.BlobDigest;
import dev.tether.origin.GrantKey;
import dev.tether.origin.UploadGrant;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The garbage collection race (#14): a build that finds a blob already on the origin does not upload it, so until its
 * version is published only the build knows it needs that blob. The build claims it with its upload grant, and the
 * operator's DELETE of a claimed blob is refused (409) until the grant expires, across a restart of the origin.
 */
class BlobClaimTest {
    static final GrantKey KEY = GrantKey.derivedFrom(TestServers.TOKEN);

    @TempDir
    Path dir;
    final TestClock time = new TestClock();
    final Clock clock = time.withZone(ZoneOffset.UTC);
    OriginServer origin;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    void start() throws Exception {
        origin = OriginServer.start(new OriginServer.Config(dir, BearerToken.of(TestServers.TOKEN, clock), TestServers.loopback(),
                null, TestServers.fastHttp(), 1));
    }

    @AfterEach
    void stop() {
        if (origin != null) {
            origin.close();
        }
    }

    @Test
    void aClaimedBlobIsNotDeletedAndTheRefusalNamesTheBuildAndUntilWhen() throws Exception {
        start();
        BlobDigest blob = store(Blobs.random(10_000, 1));
        String grant = grant("lab/bookworm/g2", Duration.ofHours(2));

        var claimed = claim(blob, grant);
        assertThat(claimed.statusCode()).as(claimed.body()).isEqualTo(204);

        var refused = delete(blob, TestServers.TOKEN);
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.body()).contains("claimed by build lab/bookworm/g2", "until " + time.instant().plus(Duration.ofHours(2)));
        assertThat(refused.headers().firstValueAsLong("Retry-After")).hasValue(7200);
        assertThat(origin.store().contains(blob)).isTrue();

        // Another blob, unclaimed, still goes.
        BlobDigest other = store(Blobs.random(1_000, 2));
        assertThat(delete(other, TestServers.TOKEN).statusCode()).isEqualTo(204);
    }

    @Test
    void aMissingBlobIsNotClaimedAndItsUploadByTheBuildClaimsIt() throws Exception {
        start();
        byte[] body = Blobs.random(20_000, 3);
        BlobDigest blob = Blobs.digestOf(body);
        String grant = grant("lab/bookworm/g3", Duration.ofHours(1));

        assertThat(claim(blob, grant).statusCode()).isEqualTo(404);
        assertThat(origin.claims().holder(blob)).as("nothing claimed for a blob that is not here").isNull();

        assertThat(put(blob, body, grant).statusCode()).isEqualTo(201);
        assertThat(delete(blob, TestServers.TOKEN).statusCode()).isEqualTo(409);

        // A blob another build (or the operator) stored, uploaded again by this build: answered 200, and claimed.
        byte[] othersBody = Blobs.random(5_000, 4);
        BlobDigest others = store(othersBody);
        assertThat(put(others, othersBody, grant).statusCode()).isEqualTo(200);
        assertThat(delete(others, TestServers.TOKEN).statusCode()).isEqualTo(409);

        // A failed upload (wrong digest) claims nothing.
        BlobDigest wrong = Blobs.digestOf(Blobs.random(100, 5));
        assertThat(put(wrong, Blobs.random(100, 6), grant).statusCode()).isEqualTo(400);
        assertThat(origin.claims().holder(wrong)).isNull();
    }

    @Test
    void claimsSurviveARestartOfTheOrigin() throws Exception {
        start();
        BlobDigest blob = store(Blobs.random(10_000, 7));
        assertThat(claim(blob, grant("lab/bookworm/g4", Duration.ofMinutes(30))).statusCode()).isEqualTo(204);
        origin.close();

        start();

        var refused = delete(blob, TestServers.TOKEN);
        assertThat(refused.statusCode()).isEqualTo(409);
        assertThat(refused.body()).contains("lab/bookworm/g4");
    }

    @Test
    void anExpiredClaimDoesNotBlockAndAClaimEndsWithItsGrant() throws Exception {
        start();
        BlobDigest blob = store(Blobs.random(10_000, 8));
        String shortGrant = grant("lab/bookworm/g5", Duration.ofMinutes(10));
        assertThat(claim(blob, shortGrant).statusCode()).isEqualTo(204);

        time.advance(Duration.ofMinutes(10));

        assertThat(claim(blob, shortGrant).statusCode()).as("the grant itself expired").isEqualTo(401);
        assertThat(delete(blob, TestServers.TOKEN).statusCode()).isEqualTo(204);
        assertThat(origin.store().contains(blob)).isFalse();
    }

    @Test
    void expiredClaimsAreDroppedAtStart() throws Exception {
        start();
        BlobDigest blob = store(Blobs.random(10_000, 9));
        assertThat(claim(blob, grant("lab/bookworm/g6", Duration.ofMinutes(5))).statusCode()).isEqualTo(204);
        origin.close();
        time.advance(Duration.ofMinutes(6));

        start();

        assertThat(origin.claims().size()).isZero();
        assertThat(Files.list(dir.resolve("claims/sha256"))).isEmpty();
        assertThat(delete(blob, TestServers.TOKEN).statusCode()).isEqualTo(204);
    }

    @Test
    void aClaimLastsOnlyAsLongAsTheGrantsOwnExpiryAndTheLongestClaimWins() throws Exception {
        start();
        BlobDigest blob = store(Blobs.random(10_000, 10));
        assertThat(claim(blob, grant("lab/bookworm/g7", Duration.ofHours(3))).statusCode()).isEqualTo(204);
        assertThat(claim(blob, grant("hpc/rocky/g1", Duration.ofHours(1))).statusCode()).isEqualTo(204);

        // The later claim does not shorten the earlier; the build named is the one that holds it longest.
        assertThat(origin.claims().holder(blob)).isEqualTo(
                new BlobClaims.Claim("lab/bookworm/g7", time.instant().plus(Duration.ofHours(3))));

        // A grant's name and expiry are signed: altering them to claim longer, or for someone else, is no grant.
        String[] mine = grant("hpc/rocky/g1", Duration.ofHours(1)).split("\\.");
        String longer = String.join(".", mine[0], mine[1], Long.toString(time.instant().plus(Duration.ofDays(30)).getEpochSecond()), mine[3]);
        assertThat(claim(blob, longer).statusCode()).isEqualTo(401);
        String[] another = grant("lab/other/g1", Duration.ofDays(30)).split("\\.");
        assertThat(claim(blob, String.join(".", mine[0], another[1], mine[2], mine[3])).statusCode()).isEqualTo(401);

        time.advance(Duration.ofHours(3));
        assertThat(delete(blob, TestServers.TOKEN).statusCode()).isEqualTo(204);
    }

    @Test
    void claimsNeedAGrantAndTakeNoBodyAndOnlyStrictDigests() throws Exception {
        start();
        BlobDigest blob = store(Blobs.random(1_000, 11));
        String grant = grant("lab/bookworm/g8", Duration.ofHours(1));

        assertThat(send(HttpRequest.newBuilder(claimUri(blob.hex())).POST(HttpRequest.BodyPublishers.noBody())).statusCode())
                .as("no token").isEqualTo(401);
        var operator = claim(blob, TestServers.TOKEN);
        assertThat(operator.statusCode()).as("the operator's token claims nothing").isEqualTo(200);
        assertThat(origin.claims().holder(blob)).isNull();
        assertThat(claim(blob, "tug1.bm8.1.AAAA").statusCode()).isEqualTo(401);

        assertThat(send(HttpRequest.newBuilder(claimUri(blob.hex())).header("Authorization", "Bearer " + grant)
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[100]))).statusCode()).isEqualTo(413);
        for (String bad : new String[] {blob.hex().toUpperCase(), blob.hex() + "0", "..%2F..%2Fblobs", ""}) {
            assertThat(send(HttpRequest.newBuilder(claimUri(bad)).header("Authorization", "Bearer " + grant)
                    .POST(HttpRequest.BodyPublishers.noBody())).statusCode()).as(bad).isEqualTo(400);
        }
        assertThat(send(HttpRequest.newBuilder(claimUri(blob.hex())).header("Authorization", "Bearer " + grant).GET())
                .statusCode()).isEqualTo(405);
        assertThat(origin.claims().size()).isZero();
    }

    @Test
    void theNumberOfClaimsIsBounded() throws Exception {
        Path root = dir.resolve("bounded");
        BlobStore store = BlobStore.open(root);
        BlobClaims claims = BlobClaims.open(root, clock, 3, 3);
        Instant until = time.instant().plus(Duration.ofMinutes(1));
        BlobDigest[] blobs = new BlobDigest[4];
        for (int i = 0; i < blobs.length; i++) {
            blobs[i] = Blobs.put(root, Blobs.random(100, 20 + i));
        }
        for (int i = 0; i < 3; i++) {
            assertThat(claims.claimIfStored(store, blobs[i], "lab/b/g" + i, until)).isEqualTo(BlobClaims.ClaimResult.CLAIMED);
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> claims.claimIfStored(store, blobs[3], "lab/b/g3", until))
                .isInstanceOf(BlobClaims.ClaimsFull.class);
        assertThat(claims.claimIfStored(store, blobs[0], "lab/b/g9", until.plusSeconds(60)))
                .as("a claim on a claimed blob takes no room").isEqualTo(BlobClaims.ClaimResult.CLAIMED);

        time.advance(Duration.ofMinutes(1));
        assertThat(claims.claimIfStored(store, blobs[3], "lab/b/g3", until.plusSeconds(600)))
                .as("expired claims make room").isEqualTo(BlobClaims.ClaimResult.CLAIMED);

        // One build may not fill the table for everyone.
        BlobClaims many = BlobClaims.open(dir.resolve("many"), clock, 10_000, 5);
        for (int i = 0; i < 5; i++) {
            many.claim(Blobs.digestOf(new byte[] {(byte) i, (byte) (i >> 8)}), "lab/leaked/g1", until.plusSeconds(600));
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> many.claim(Blobs.digestOf(new byte[] {1, 2, 3}), "lab/leaked/g1", until.plusSeconds(600)))
                .isInstanceOf(BlobClaims.ClaimsFull.class).hasMessageContaining("lab/leaked/g1");
        many.claim(Blobs.digestOf(new byte[] {1, 2, 3}), "lab/honest/g1", until.plusSeconds(600));
    }

    @Test
    void aClaimAndADeleteThatRaceNeverLeaveABuildRelyingOnADeletedBlob() throws Exception {
        Path root = dir.resolve("race");
        BlobStore store = BlobStore.open(root);
        BlobClaims claims = BlobClaims.open(root, clock);
        Instant until = time.instant().plus(Duration.ofHours(1));
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(2)) {
            for (int i = 0; i < 40; i++) {
                BlobDigest blob = Blobs.put(root, Blobs.random(64, 100 + i));
                var start = new java.util.concurrent.CountDownLatch(1);
                var claim = pool.submit(() -> {
                    start.await();
                    return claims.claimIfStored(store, blob, "lab/race/g1", until);
                });
                var delete = pool.submit(() -> {
                    start.await();
                    return claims.deleteUnlessClaimed(store, blob);
                });
                start.countDown();
                if (claim.get() == BlobClaims.ClaimResult.CLAIMED) {
                    assertThat(delete.get().deleted()).as("claimed first, so kept").isFalse();
                    assertThat(store.contains(blob)).isTrue();
                } else {
                    assertThat(delete.get().deleted()).as("deleted first, so the build was told to upload").isTrue();
                    assertThat(claims.holder(blob)).isNull();
                }
            }
        }
    }

    private String grant(String build, Duration validity) {
        return new UploadGrant(build, time.instant().plus(validity)).token(KEY);
    }

    private BlobDigest store(byte[] body) throws Exception {
        BlobDigest d = Blobs.digestOf(body);
        assertThat(put(d, body, TestServers.TOKEN).statusCode()).isEqualTo(201);
        return d;
    }

    private HttpResponse<String> put(BlobDigest digest, byte[] body, String token) throws Exception {
        return send(HttpRequest.newBuilder(blobUri(digest)).PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Authorization", "Bearer " + token));
    }

    private HttpResponse<String> claim(BlobDigest digest, String token) throws Exception {
        return send(HttpRequest.newBuilder(claimUri(digest.hex())).POST(HttpRequest.BodyPublishers.noBody())
                .header("Authorization", "Bearer " + token));
    }

    private HttpResponse<String> delete(BlobDigest digest, String token) throws Exception {
        return send(HttpRequest.newBuilder(blobUri(digest)).DELETE().header("Authorization", "Bearer " + token));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI blobUri(BlobDigest digest) {
        return URI.create(TestServers.url(origin.port()) + "/blobs/sha256/" + digest.hex());
    }

    private URI claimUri(String hex) {
        return URI.create(TestServers.url(origin.port()) + "/claims/sha256/" + hex);
    }
}

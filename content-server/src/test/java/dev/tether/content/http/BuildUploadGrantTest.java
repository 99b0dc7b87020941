package dev.tether.content.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.content.origin.OriginServer;
import dev.tether.content.testing.Blobs;
import dev.tether.content.testing.TestServers;
import dev.tether.contracts.BlobDigest;
import dev.tether.origin.GrantKey;
import dev.tether.origin.UploadGrant;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A builder Job holds only its build's upload grant, not the origin's token: it can add blobs until the grant
 * expires, and it cannot delete anyone's. A grant the origin's operator did not sign is no grant.
 */
class BuildUploadGrantTest {
    static final GrantKey KEY = GrantKey.derivedFrom(TestServers.TOKEN);

    @TempDir
    Path dir;
    OriginServer origin;
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void start() throws Exception {
        origin = TestServers.origin(dir);
    }

    @AfterEach
    void stop() {
        origin.close();
    }

    @Test
    void aBuildsGrantUploadsButCannotDeleteEvenItsOwnBlob() throws Exception {
        String grant = grant("lab/bookworm/g1", Duration.ofHours(2)).token(KEY);
        byte[] body = Blobs.random(50_000, 11);
        BlobDigest digest = Blobs.digestOf(body);

        var uploaded = put(digest, body, grant);

        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(201);
        assertThat(origin.store().contains(digest)).isTrue();

        byte[] othersBody = Blobs.random(1_000, 12);
        BlobDigest others = Blobs.digestOf(othersBody);
        assertThat(put(others, othersBody, TestServers.TOKEN).statusCode()).isEqualTo(201);
        for (BlobDigest target : new BlobDigest[] {digest, others}) {
            var deleted = delete(target, grant);
            assertThat(deleted.statusCode()).isEqualTo(403);
            assertThat(deleted.body()).contains("may only upload").doesNotContain(grant);
            assertThat(origin.store().contains(target)).isTrue();
        }
    }

    @Test
    void anExpiredGrantCannotUploadAndIsToldWhy() throws Exception {
        String grant = grant("lab/bookworm/g1", Duration.ofSeconds(-1)).token(KEY);
        byte[] body = Blobs.random(1_000, 13);
        BlobDigest digest = Blobs.digestOf(body);

        var refused = put(digest, body, grant);

        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.body()).contains("upload grant of build lab/bookworm/g1 expired", "spec.builder.timeout");
        assertThat(origin.store().contains(digest)).isFalse();
    }

    @Test
    void aForgedOrAlteredGrantIsRefused() throws Exception {
        byte[] body = Blobs.random(1_000, 14);
        BlobDigest digest = Blobs.digestOf(body);
        String forged = grant("lab/bookworm/g1", Duration.ofHours(1)).token(GrantKey.derivedFrom("guessed-token"));
        String[] mine = grant("lab/bookworm/g1", Duration.ofHours(1)).token(KEY).split("\\.");
        String[] another = grant("hpc/bookworm/g9", Duration.ofHours(1)).token(KEY).split("\\.");
        String otherBuildsName = String.join(".", mine[0], another[1], mine[2], mine[3]);

        for (String token : new String[] {forged, otherBuildsName}) {
            var refused = put(digest, body, token);
            assertThat(refused.statusCode()).isEqualTo(401);
            assertThat(refused.body()).contains("not issued by this origin's operator");
        }
        assertThat(origin.store().contains(digest)).isFalse();
        assertThat(delete(digest, forged).statusCode()).isEqualTo(403);
    }

    private static UploadGrant grant(String build, Duration validity) {
        return new UploadGrant(build, Instant.now().plus(validity));
    }

    private HttpResponse<String> put(BlobDigest digest, byte[] body, String token) throws Exception {
        return http.send(HttpRequest.newBuilder(blob(digest)).PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> delete(BlobDigest digest, String token) throws Exception {
        return http.send(HttpRequest.newBuilder(blob(digest)).DELETE().header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private URI blob(BlobDigest digest) {
        return URI.create(TestServers.url(origin.port()) + "/blobs/sha256/" + digest.hex());
    }
}

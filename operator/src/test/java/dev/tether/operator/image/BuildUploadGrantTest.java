package dev.tether.operator.image;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.OPERATOR_NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.content.http.HttpSettings;
import dev.tether.content.origin.OriginServer;
import dev.tether.content.store.BearerToken;
import dev.tether.operator.BuilderJobs;
import dev.tether.operator.Names;
import dev.tether.operator.OperatorConfig;
import dev.tether.operator.OperatorHarness;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DisklessImage author's steps run inside the builder pod, so whatever credential the pod mounts is theirs. It mounts
 * only its build's upload grant: against a real origin that uploads and cannot delete, and it is gone when the build is.
 */
class BuildUploadGrantTest {
    static final String TOKEN = "origin-token-for-tests";
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path store;
    OriginServer origin;
    OperatorHarness harness;

    @BeforeEach
    void start() throws Exception {
        origin = OriginServer.start(new OriginServer.Config(store, BearerToken.of(TOKEN),
                new InetSocketAddress("127.0.0.1", 0), null, HttpSettings.defaults(), 1));
        harness = new OperatorHarness("http://127.0.0.1:" + origin.port(), TOKEN);
    }

    @AfterEach
    void stop() {
        harness.close();
        origin.close();
    }

    @Test
    void theBuilderMountsItsOwnUploadGrantWhichUploadsButCannotDeleteAndEndsWithTheBuild() throws Exception {
        String othersBlob = put("another namespace's kernel", TOKEN);
        harness.client.resource(DisklessImageReconcilerTest.newImage("bookworm", List.of())).create();
        Job job = eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName("bookworm-build-g1").get());

        var mounted = job.getSpec().getTemplate().getSpec().getVolumes().stream()
                .filter(v -> v.getSecret() != null).map(v -> v.getSecret().getSecretName()).toList();
        assertThat(mounted).containsExactlyInAnyOrder("bookworm-key-g1", "bookworm-upload-g1");
        var secret = harness.client.secrets().inNamespace(NAMESPACE).withName("bookworm-upload-g1").get();
        assertThat(secret.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getName()).isEqualTo("bookworm"));
        String grant = new String(Base64.getDecoder().decode(secret.getData().get(OperatorConfig.ORIGIN_TOKEN_KEY)), StandardCharsets.UTF_8);
        assertThat(grant).isNotEqualTo(TOKEN).doesNotContain(TOKEN);
        assertThat(harness.client.secrets().inNamespace(NAMESPACE).list().getItems())
                .noneSatisfy(s -> assertThat(s.getData().values()).contains(Base64.getEncoder().encodeToString(TOKEN.getBytes(StandardCharsets.UTF_8))));

        String own = put("this build's root image", grant);
        var deleteOthers = delete(othersBlob, grant);
        var deleteOwn = delete(own, grant);

        assertThat(deleteOthers.statusCode()).as(deleteOthers.body()).isEqualTo(403);
        assertThat(deleteOwn.statusCode()).isEqualTo(403);
        assertThat(deleteOwn.body()).contains("may only upload");
        assertThat(held(othersBlob)).isTrue();
        assertThat(held(own)).isTrue();

        BuilderJobs.succeed(harness, "bookworm-build-g1", BuilderJobs.result(own, "6.1.0-28-amd64", 1_000L));
        eventually(() -> assertThat(harness.client.secrets().inNamespace(NAMESPACE).withName("bookworm-upload-g1").get())
                .as("the grant ends with its build").isNull());
    }

    @Test
    void copiesOfTheOriginTokenThatEarlierVersionsLeftInNamespacesAreRemoved() {
        harness.client.resource(new SecretBuilder().withNewMetadata().withName("tether-origin-upload").withNamespace(NAMESPACE)
                .addToLabels(Names.managedLabels("origin-token")).endMetadata()
                .addToData(OperatorConfig.ORIGIN_TOKEN_KEY, Base64.getEncoder().encodeToString(TOKEN.getBytes(StandardCharsets.UTF_8)))
                .build()).create();

        UploadToken.removeNamespaceCopies(harness.client, harness.config);

        assertThat(harness.client.secrets().inNamespace(NAMESPACE).withName("tether-origin-upload").get()).isNull();
        assertThat(harness.client.secrets().inNamespace(OPERATOR_NAMESPACE).withName("tether-origin-token").get())
                .as("the operator's own").isNotNull();
    }

    private String put(String content, String token) throws Exception {
        byte[] body = content.getBytes(StandardCharsets.UTF_8);
        String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        var response = HTTP.send(HttpRequest.newBuilder(blob(digest)).PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("upload: " + response.body()).isEqualTo(201);
        return digest;
    }

    private HttpResponse<String> delete(String digest, String token) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(blob(digest)).DELETE().header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private boolean held(String digest) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(blob(digest)).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    }

    private URI blob(String digest) {
        return URI.create("http://127.0.0.1:" + origin.port() + "/blobs/sha256/" + digest.substring(7));
    }
}

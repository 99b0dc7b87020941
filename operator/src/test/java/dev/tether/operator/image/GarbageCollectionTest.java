package dev.tether.operator.image;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.operator.BuilderJobs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Old versions leave the origin once nothing needs them: a real origin (the content server) holds
 * the blobs, the operator deletes through its API, and blobs that another version shares stay.
 */
class GarbageCollectionTest extends WithOriginTestBase {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void versionsBeyondTheRetainedCountAreRemovedUnlessPinnedAndSharedBlobsStay() throws Exception {
        String sharedKernel = upload("vmlinuz 6.1.0-28");
        var image = DisklessImageReconcilerTest.newImage("bookworm", List.of());
        image.getSpec().retainVersions = 1;
        harness.client.resource(image).create();

        var v1 = publishVersion(1, sharedKernel);
        pinInProfile(v1.manifest);
        var v2 = publishVersion(2, sharedKernel);
        var v3 = publishVersion(3, sharedKernel);

        eventually(() -> assertThat(image().getStatus().versions).extracting(v -> v.digest).containsExactly(v3.manifest, v1.manifest));
        eventually(() -> assertThat(held(v2.rootImage)).as("v2's root image left the origin").isFalse());
        assertThat(held(v2.manifest)).isFalse();
        assertThat(held(v1.rootImage)).as("v1 is pinned by a profile").isTrue();
        assertThat(held(sharedKernel)).as("the kernel is shared with kept versions").isTrue();
        assertThat(harness.client.secrets().inNamespace(NAMESPACE).withName("bookworm-key-g2").get()).as("v2's key").isNull();
        assertThat(harness.client.secrets().inNamespace(NAMESPACE).withName("bookworm-key-g1").get()).as("v1's key").isNotNull();
    }

    @Test
    void deletingTheImageDeletesItsBlobsFromTheOrigin() throws Exception {
        String kernel = upload("vmlinuz 6.1.0-29");
        harness.client.resource(DisklessImageReconcilerTest.newImage("bookworm", List.of())).create();
        var v1 = publishVersion(1, kernel);

        harness.client.resources(DisklessImage.class).inNamespace(NAMESPACE).withName("bookworm").delete();

        eventually(() -> assertThat(held(v1.rootImage)).isFalse());
        assertThat(held(v1.manifest)).isFalse();
        assertThat(held(kernel)).isFalse();
        eventually(() -> assertThat(image()).as("the finalizer let go").isNull());
    }

    record Version(String manifest, String kernel, String initramfs, String rootImage) {}

    /** One build of generation {@code generation}: its blobs uploaded as the builder would, then reported. */
    private Version publishVersion(int generation, String kernel) throws Exception {
        if (generation > 1) {
            harness.edit(DisklessImage.class, "bookworm", i -> {
                i.getSpec().packages = List.of("pkg" + generation);
                return i;
            });
        }
        String job = "bookworm-build-g" + generation;
        eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName(job).get());
        var version = new Version(upload("manifest " + generation), kernel, upload("initramfs " + generation), upload("root image " + generation));
        BuilderJobs.succeed(harness, job, BuilderJobs.result(version.manifest, version.kernel, version.initramfs, version.rootImage, "6.1", 100));
        eventually(() -> assertThat(image().getStatus().digest).isEqualTo(version.manifest));
        return version;
    }

    private void pinInProfile(String digest) {
        var profile = new NodeProfile();
        profile.getMetadata().setName("pinned");
        profile.getMetadata().setNamespace(NAMESPACE);
        profile.setSpec(new NodeProfileSpec());
        profile.getSpec().image = new NodeProfileSpec.ImageRef("bookworm", digest);
        harness.client.resource(profile).create();
    }

    private DisklessImage image() {
        return harness.client.resources(DisklessImage.class).inNamespace(NAMESPACE).withName("bookworm").get();
    }

    private String upload(String content) throws Exception {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        var response = HTTP.send(HttpRequest.newBuilder(URI.create(originUrl + "/blobs/sha256/" + hex))
                .header("Authorization", "Bearer " + TOKEN)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("upload: " + response.body()).isBetween(200, 299);
        return "sha256:" + hex;
    }

    private boolean held(String digest) throws Exception {
        var response = HTTP.send(HttpRequest.newBuilder(URI.create(originUrl + "/blobs/sha256/" + digest.substring(7)))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        return response.statusCode() == 200;
    }
}

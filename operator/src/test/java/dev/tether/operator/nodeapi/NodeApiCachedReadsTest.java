package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.nodeapi.ImageKeyIssued;
import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.Names;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A boot's reads of its profile, image and image key come from the node API's caches (the boot storm of issue #15
 * found five API server reads per node for these, queued behind the client's few connections): once the caches hold
 * them, the API server sees none of those reads.
 */
class NodeApiCachedReadsTest extends NodeApiTestBase {

    @Test
    void aWarmNodeApiAnswersABootWithoutReadingProfileImageOrKeyFromTheApiServer() throws Exception {
        String imageKey = publishedImage("bookworm", DIGEST);
        profile("compute", "bookworm");
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");
        // The first answers may come from the API server while the caches fill.
        eventually(() -> assertThat(api.get(NAMESPACE, "node-001", NodeApi.IMAGE_KEY + "?digest=" + DIGEST, key).status()).isEqualTo(200));
        while (harness.server.takeRequest(0, TimeUnit.MILLISECONDS) != null) {
            // Forget what the API server saw so far.
        }

        var config = api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, key);
        var released = api.get(NAMESPACE, "node-001", NodeApi.IMAGE_KEY + "?digest=" + DIGEST, key);

        assertThat(config.status()).as(config.text()).isEqualTo(200);
        assertThat(released.status()).as(released.text()).isEqualTo(200);
        assertThat(released.as(ImageKeyIssued.class).keyHex()).isEqualTo(imageKey);
        List<String> reads = new ArrayList<>();
        for (RecordedRequest r; (r = harness.server.takeRequest(0, TimeUnit.MILLISECONDS)) != null; ) {
            if (r.getMethod().equals("GET")) {
                reads.add(r.getPath());
            }
        }
        assertThat(reads).noneMatch(path -> path.contains("/nodeprofiles/compute") || path.contains("/disklessimages/bookworm")
                || path.contains("/secrets/" + Names.imageKeySecret("bookworm", 1)));
    }

    @Test
    void anImageVersionTheCacheHasNotSeenIsReadFromTheApiServerBeforeARefusal() throws Exception {
        publishedImage("bookworm", DIGEST);
        profile("compute", "bookworm");
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");

        var unknown = api.get(NAMESPACE, "node-001", NodeApi.IMAGE_KEY + "?digest=" + OTHER_DIGEST, key);

        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.error().error()).isEqualTo("UnknownVersion");
    }
}

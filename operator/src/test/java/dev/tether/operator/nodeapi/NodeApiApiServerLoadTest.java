package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.Names;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Looking nodes up costs the API server nothing: the node API reads NodeCredentials from the informer cache only. */
class NodeApiApiServerLoadTest extends NodeApiTestBase {

    @Test
    void requestsOfKnownAndUnknownNodesNeitherListNorGetNodeCredentials() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");
        recordedRequests();

        var statuses = new ArrayList<Integer>();
        for (int i = 0; i < 5; i++) {
            statuses.add(api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, key).status());
            statuses.add(api.get(NAMESPACE, "node-001", NodeApi.IMAGE_KEY + "?digest=" + DIGEST, "tk_" + "A".repeat(43)).status());
        }
        for (int i = 0; i < 20; i++) {
            statuses.add(api.get(NAMESPACE, "made-up-" + i, NodeApi.BOOT_CONFIG, "tk_" + "A".repeat(43)).status());
        }

        assertThat(statuses).as("answered from the cache: no profile yet for the node (409), 401 for the rest")
                .containsOnly(409, 401).contains(409);
        assertThat(recordedRequests()).as("requests the API server saw for NodeCredentials")
                .filteredOn(r -> r.getPath().contains("/nodecredentials"))
                .extracting(r -> r.getMethod() + " " + r.getPath())
                .filteredOn(line -> line.startsWith("GET"))
                .isEmpty();
    }

    @Test
    void theRightKeyIsCheckedFromTheCacheAndWrongOnesInBackOffReadNoSecret() throws Exception {
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");
        String secretPath = "/secrets/" + Names.apiKeySecret("node-001");
        // The informer has the new Secret once a request with the key no longer reads it.
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            recordedRequests();
            assertThat(api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, key).status()).isEqualTo(409);
            assertThat(recordedRequests()).noneMatch(r -> r.getPath().contains(secretPath));
        });
        for (int i = 0; i < 10; i++) {
            api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, "tk_" + "A".repeat(43));
        }
        recordedRequests();

        var statuses = new ArrayList<Integer>();
        for (int i = 0; i < 10; i++) {
            statuses.add(api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, "tk_" + "A".repeat(43)).status());
            statuses.add(api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, key).status());
        }

        assertThat(statuses).as("wrong keys 429, the right key past authentication (its profile is missing)")
                .containsExactlyElementsOf(java.util.Collections.nCopies(10, List.of(429, 409)).stream().flatMap(List::stream).toList());
        assertThat(recordedRequests()).as("reads of the API-key Secret").noneMatch(r -> r.getPath().contains(secretPath));
    }

    /** What the mock API server received since the last call (and drains it). */
    private List<RecordedRequest> recordedRequests() throws InterruptedException {
        var requests = new ArrayList<RecordedRequest>();
        for (RecordedRequest r; (r = harness.server.takeRequest(1, TimeUnit.MILLISECONDS)) != null; ) {
            requests.add(r);
        }
        return requests;
    }
}

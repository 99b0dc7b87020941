package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.nodeapi.NodeApi;
import dev.tether.nodeapi.PersistenceKey;
import dev.tether.nodeapi.PersistenceSaved;
import dev.tether.operator.Names;
import dev.tether.operator.OperatorHarness;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The node API's side of selective persistence, over real TLS: the key and token a node gets, its archive stored and
 * served back through the streamed path, and every refusal an attacker meets (another node's key or token, an old
 * token, an oversized or replayed upload).
 */
class NodeApiPersistenceTest extends NodeApiTestBase {

    @Test
    void aNodeStoresAnArchiveFarLargerThanTheBodyLimitAndGetsItBackWhole() throws Exception {
        String key = node("node-001");
        PersistenceKey grant = persistenceKey("node-001", key);
        assertThat(grant.generation()).isZero();
        assertThat(grant.maxBytes()).isEqualTo(64L << 20);
        assertThat(grant.saveIntervalSeconds()).isEqualTo(300);
        assertThat(grant.keyHex()).hasSize(64);
        assertThat(grant.token()).startsWith(NodeApi.PERSISTENCE_TOKEN_PREFIX);
        assertThat(archive("node-001", grant.token()).status()).isEqualTo(404);

        byte[] archive = random(3 << 20);
        var stored = upload("node-001", grant.token(), 1, archive);

        assertThat(stored.status()).as(stored.text()).isEqualTo(200);
        assertThat(stored.as(PersistenceSaved.class)).isEqualTo(new PersistenceSaved(1, archive.length));
        assertThat(harness.operator().metrics().counter("tether.persistence.archives.stored").count()).isEqualTo(1);
        assertThat(harness.operator().metrics().summary("tether.persistence.archive").totalAmount()).isEqualTo(archive.length);
        var served = archive("node-001", grant.token());
        assertThat(served.status()).isEqualTo(200);
        assertThat(served.header(NodeApi.PERSISTENCE_GENERATION)).isEqualTo("1");
        assertThat(served.header("Cache-Control")).isEqualTo("no-store");
        assertThat(served.body()).isEqualTo(archive);
        // The API key reads it too; the next boot's key call says which generation to expect, with the same key.
        assertThat(api.get(NAMESPACE, "node-001", NodeApi.PERSISTENCE, key).body()).isEqualTo(archive);
        PersistenceKey nextBoot = persistenceKey("node-001", key);
        assertThat(nextBoot.generation()).isEqualTo(1);
        assertThat(nextBoot.keyHex()).isEqualTo(grant.keyHex());
        assertThat(nextBoot.token()).isNotEqualTo(grant.token());
    }

    @Test
    void theKeyLivesInASecretOwnedByTheCredentialAndTheArchiveOnlyOnTheOperatorsVolume() throws Exception {
        String key = node("node-001");
        PersistenceKey grant = persistenceKey("node-001", key);
        byte[] archive = random(100_000);
        assertThat(upload("node-001", grant.token(), 1, archive).status()).isEqualTo(200);
        assertThat(upload("node-001", grant.token(), 2, random(5000)).status()).isEqualTo(200);

        NodeCredential credential = harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).withName("node-001").get();
        var secret = harness.client.secrets().inNamespace(NAMESPACE).withName(Names.persistenceSecret("node-001")).get();
        assertThat(secret.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(owner -> assertThat(owner.getUid()).isEqualTo(credential.getMetadata().getUid()));
        assertThat(new String(Base64.getDecoder().decode(secret.getData().get("generation")), StandardCharsets.US_ASCII)).isEqualTo("2");
        // The token is kept only as its hash.
        assertThat(secret.getData().values().stream().map(v -> new String(Base64.getDecoder().decode(v), StandardCharsets.ISO_8859_1)))
                .noneMatch(v -> v.contains(grant.token()));
        // One file, the newest generation, under the credential's uid; older ones pruned, no partial left.
        Path nodeDir = harness.persistenceDir.resolve(NAMESPACE).resolve(credential.getMetadata().getUid());
        try (var files = Files.list(nodeDir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("2.tpa");
        }
        assertThat(everythingWritten()).doesNotContain(grant.token()).doesNotContain(grant.keyHex());
    }

    @Test
    void anotherNodesKeyOrTokenNeitherReadsNorOverwritesANodesArchive() throws Exception {
        String key = node("node-001");
        String otherKey = node("node-002");
        PersistenceKey grant = persistenceKey("node-001", key);
        PersistenceKey other = persistenceKey("node-002", otherKey);
        byte[] archive = random(10_000);
        assertThat(upload("node-001", grant.token(), 1, archive).status()).isEqualTo(200);

        assertThat(other.keyHex()).isNotEqualTo(grant.keyHex());
        for (String credential : List.of(otherKey, other.token())) {
            var read = api.get(NAMESPACE, "node-001", NodeApi.PERSISTENCE, credential);
            assertThat(read.status()).isEqualTo(401);
            assertThat(read.body()).isNotEqualTo(archive);
            assertThat(upload("node-001", credential, 2, random(100)).status()).isEqualTo(401);
        }
        // A token opens the archive only: not the key, not the boot configuration.
        assertThat(api.get(NAMESPACE, "node-001", NodeApi.PERSISTENCE_KEY, grant.token()).status()).isEqualTo(401);
        assertThat(api.get(NAMESPACE, "node-001", NodeApi.BOOT_CONFIG, grant.token()).status()).isEqualTo(401);
        assertThat(archive("node-001", grant.token()).body()).isEqualTo(archive);
        assertThat(archive("node-002", other.token()).status()).isEqualTo(404);
    }

    @Test
    void aTokenOfAnEarlierBootIsRefused() throws Exception {
        String key = node("node-001");
        PersistenceKey first = persistenceKey("node-001", key);
        PersistenceKey second = persistenceKey("node-001", key);

        var stale = upload("node-001", first.token(), 1, random(100));

        assertThat(stale.status()).isEqualTo(401);
        assertThat(stale.error().message()).contains("not its current boot's");
        assertThat(upload("node-001", second.token(), 1, random(100)).status()).isEqualTo(200);
    }

    @Test
    void strangersSpendingTheNodesBudgetWithMadeUpTokensDoNotLockOutItsSaver() throws Exception {
        String key = node("node-001");
        PersistenceKey grant = persistenceKey("node-001", key);
        String madeUp = NodeApi.PERSISTENCE_TOKEN_PREFIX + "A".repeat(43);
        int limited = 0;
        for (int i = 0; i < 15; i++) {
            int status = archive("node-001", madeUp).status();
            assertThat(status).isIn(401, 429);
            limited += status == 429 ? 1 : 0;
        }
        assertThat(limited).as("the node's failure budget is spent").isPositive();

        assertThat(upload("node-001", grant.token(), 1, random(1000)).status()).isEqualTo(200);
    }

    @Test
    void anUploadDeclaredLargerThanTheLimitIsRefusedBeforeItsBodyIsRead() throws Exception {
        String key = node("node-001");
        limit("compute", "4Ki");
        PersistenceKey grant = persistenceKey("node-001", key);
        assertThat(grant.maxBytes()).isEqualTo(4096);

        // The head alone, announcing 1 GiB: answered at once, though not one byte of the body was sent.
        String head = "PUT " + NodeApi.path(NAMESPACE, "node-001", NodeApi.PERSISTENCE) + "?generation=1 HTTP/1.1\r\nHost: "
                + NodeApi.SERVER_NAME + "\r\nAuthorization: Bearer " + grant.token() + "\r\nContent-Length: " + (1L << 30) + "\r\n\r\n";
        var refused = api.exchange(head.getBytes(StandardCharsets.US_ASCII), null);

        assertThat(refused.status()).isEqualTo(413);
        assertThat(refused.error().error()).isEqualTo("ArchiveTooLarge");
        assertThat(refused.error().message()).contains("limit of 4096 bytes").contains("spec.persistence.maxBytes");
        assertThat(filesUnder(harness.persistenceDir)).isEmpty();
        assertThat(archive("node-001", grant.token()).status()).isEqualTo(404);
    }

    @Test
    void aChunkedUploadIsCutOffAtTheFirstBytePastTheLimitAndLeavesTheStoredArchive() throws Exception {
        String key = node("node-001");
        limit("compute", "4Ki");
        PersistenceKey grant = persistenceKey("node-001", key);
        byte[] kept = random(4096);
        assertThat(upload("node-001", grant.token(), 1, kept).status()).isEqualTo(200);

        var chunked = new java.io.ByteArrayOutputStream();
        chunked.writeBytes(("PUT " + NodeApi.path(NAMESPACE, "node-001", NodeApi.PERSISTENCE) + "?generation=2 HTTP/1.1\r\nHost: "
                + NodeApi.SERVER_NAME + "\r\nAuthorization: Bearer " + grant.token() + "\r\nTransfer-Encoding: chunked\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < 3; i++) {
            chunked.writeBytes("800\r\n".getBytes(StandardCharsets.US_ASCII));
            chunked.writeBytes(random(0x800));
            chunked.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        chunked.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        var refused = api.exchange(chunked.toByteArray(), null);

        assertThat(refused.status()).isEqualTo(413);
        assertThat(refused.error().error()).isEqualTo("ArchiveTooLarge");
        var served = archive("node-001", grant.token());
        assertThat(served.header(NodeApi.PERSISTENCE_GENERATION)).isEqualTo("1");
        assertThat(served.body()).isEqualTo(kept);
        assertThat(filesUnder(harness.persistenceDir)).hasSize(1);
    }

    @Test
    void aReplayedOrSkippedGenerationIsRefused() throws Exception {
        String key = node("node-001");
        PersistenceKey grant = persistenceKey("node-001", key);
        byte[] first = random(1000);
        assertThat(upload("node-001", grant.token(), 2, first).status()).isEqualTo(409);
        assertThat(upload("node-001", grant.token(), 1, first).status()).isEqualTo(200);
        byte[] second = random(1000);
        assertThat(upload("node-001", grant.token(), 2, second).status()).isEqualTo(200);

        var replay = upload("node-001", grant.token(), 2, first);

        assertThat(replay.status()).isEqualTo(409);
        assertThat(replay.error().error()).isEqualTo("StaleGeneration");
        assertThat(replay.error().message()).contains("the stored archive is generation 2");
        assertThat(archive("node-001", grant.token()).body()).isEqualTo(second);
        assertThat(upload("node-001", grant.token(), 0, first).error().error()).isEqualTo("BadGeneration");
    }

    @Test
    void aProfileThatKeepsNothingGivesNoKeyAndStoresNothing() throws Exception {
        String key = node("node-001");
        mergePatch("compute", "{\"spec\":{\"persistence\":null}}");

        var refused = api.get(NAMESPACE, "node-001", NodeApi.PERSISTENCE_KEY, key);

        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.error().error()).isEqualTo("NoPersistence");
        assertThat(upload("node-001", key, 1, random(10)).error().error()).isEqualTo("NoPersistence");
    }

    @Test
    void aCredentialMadeAgainUnderTheSameNameIsANewMachineWithANewKeyAndNoArchive() throws Exception {
        String key = node("node-001");
        PersistenceKey grant = persistenceKey("node-001", key);
        assertThat(upload("node-001", grant.token(), 1, random(1000)).status()).isEqualTo(200);

        harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).withName("node-001").delete();
        OperatorHarness.eventually(() -> assertThat(harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE)
                .withName("node-001").get()).isNull());
        create(credential("node-001", "compute", Arming.ONCE));
        String newKey = fetchKey("node-001");
        PersistenceKey fresh = persistenceKey("node-001", newKey);

        assertThat(fresh.keyHex()).isNotEqualTo(grant.keyHex());
        assertThat(fresh.generation()).isZero();
        assertThat(archive("node-001", fresh.token()).status()).isEqualTo(404);
    }

    private String node(String name) throws Exception {
        if (harness.client.resources(NodeProfile.class).inNamespace(NAMESPACE).withName("compute").get() == null) {
            // Kept paths need the profile only, not its image: nothing of persistence waits for a build.
            profile("compute", "bookworm");
        }
        create(credential(name, "compute", Arming.ONCE));
        return fetchKey(name);
    }

    private void limit(String profile, String maxBytes) {
        mergePatch(profile, "{\"spec\":{\"persistence\":{\"maxBytes\":\"" + maxBytes + "\"}}}");
    }

    private PersistenceKey persistenceKey(String node, String key) throws IOException {
        var response = api.get(NAMESPACE, node, NodeApi.PERSISTENCE_KEY, key);
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        return response.as(PersistenceKey.class);
    }

    private NodeApiTestClient.Response archive(String node, String token) throws IOException {
        return api.get(NAMESPACE, node, NodeApi.PERSISTENCE, token);
    }

    private NodeApiTestClient.Response upload(String node, String token, long generation, byte[] archive) throws IOException {
        String head = "PUT " + NodeApi.path(NAMESPACE, node, NodeApi.PERSISTENCE) + "?generation=" + generation + " HTTP/1.1\r\nHost: "
                + NodeApi.SERVER_NAME + "\r\nAuthorization: Bearer " + token + "\r\nContent-Type: application/octet-stream\r\n"
                + "Content-Length: " + archive.length + "\r\nConnection: close\r\n\r\n";
        return api.exchange(head.getBytes(StandardCharsets.US_ASCII), archive);
    }

    private static List<Path> filesUnder(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }

    private static byte[] random(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }
}

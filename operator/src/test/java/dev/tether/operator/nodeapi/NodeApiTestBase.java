package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.AgentConsole;
import dev.tether.agent.image.Backoff;
import dev.tether.agent.trust.NodeApiTls;
import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageSpec;
import dev.tether.api.v1alpha1.Distribution;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.api.v1alpha1.SecretKeyRef;
import dev.tether.image.format.ImageKey;
import dev.tether.nodeapi.ApiKeyIssued;
import dev.tether.nodeapi.ArmingRequest;
import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.BuilderJobs;
import dev.tether.operator.Names;
import dev.tether.operator.OperatorConfig;
import dev.tether.operator.OperatorHarness;
import dev.tether.operator.profile.RootPasswordSecret;
import dev.tether.operator.trust.Ipv4Range;
import dev.tether.operator.trust.PrincipalPolicy;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The operator against the mock API server with its node API on a loopback port, a client that checks
 * the server as a node does, and the resources a node needs: credentials, a profile, a published image.
 */
abstract class NodeApiTestBase {
    static final String MAC = "52:54:00:12:34:56";
    static final String PASSWORD_HASH = "$6$tethersalt$J7yXh2vyg3bP0pTq0Qn4J0o1gK6m1nZy7tT0yWl3mE9d0m9Z0qk3bB8R4b7nQ2m1P8m9Y7c1Qx2uK8vR6n5w1.";
    static final String DIGEST = "sha256:" + "a".repeat(64);
    static final String OTHER_DIGEST = "sha256:" + "b".repeat(64);
    /** The test namespace owns the names and addresses its credentials use, as an administrator would grant them. */
    static final PrincipalPolicy.Grant GRANT = new PrincipalPolicy.Grant(List.of("cluster.example"), List.of(Ipv4Range.parse("10.1.0.0/16")));

    OperatorHarness harness;
    NodeApiServer server;
    NodeApiTestClient api;
    CapturedLogs logs;

    @BeforeEach
    void startNodeApi() throws Exception {
        logs = new CapturedLogs();
        harness = new OperatorHarness("http://127.0.0.1:9", null, c -> settings().apply(c.withNodeApi(c.nodeApi()
                .withSshPrincipals(new PrincipalPolicy("tether.internal", Map.of(NAMESPACE, GRANT))))));
        server = harness.startNodeApi();
        api = new NodeApiTestClient(server.address(), harness.operator().trust().clusterCa().certificate());
    }

    @AfterEach
    void stopNodeApi() {
        if (harness != null) {
            harness.close();
        }
        logs.close();
    }

    /** Changes to the installation's settings for a test class. */
    UnaryOperator<OperatorConfig> settings() {
        return UnaryOperator.identity();
    }

    NodeCredential credential(String name, String profile, Arming arming) {
        var credential = new NodeCredential();
        credential.getMetadata().setName(name);
        credential.getMetadata().setNamespace(NAMESPACE);
        credential.setSpec(new NodeCredentialSpec());
        credential.getSpec().nodeName = name;
        credential.getSpec().profile = profile;
        credential.getSpec().arming = arming;
        credential.getSpec().fqdn = name + ".cluster.example";
        credential.getSpec().addresses = new ArrayList<>(List.of("10.1.0.7"));
        credential.getSpec().hardware = new NodeCredentialSpec.Hardware();
        credential.getSpec().hardware.macs = List.of(MAC);
        return credential;
    }

    NodeCredential create(NodeCredential credential) {
        var created = harness.client.resource(credential).create();
        eventually(() -> assertThat(status(credential.getMetadata().getName()).armed).isNotNull());
        return created;
    }

    NodeCredentialStatus status(String credential) {
        var c = harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).withName(credential).get();
        return c == null || c.getStatus() == null ? new NodeCredentialStatus() : c.getStatus();
    }

    /** A profile booting {@code image}, with every setting a node receives filled in. */
    NodeProfile profile(String name, String image) {
        var profile = new NodeProfile();
        profile.getMetadata().setName(name);
        profile.getMetadata().setNamespace(NAMESPACE);
        profile.setSpec(new NodeProfileSpec());
        profile.getSpec().image = new NodeProfileSpec.ImageRef(image, null);
        profile.getSpec().kernelArgs = List.of("console=ttyS0,115200");
        profile.getSpec().writableLayer = new NodeProfileSpec.WritableLayer();
        profile.getSpec().writableLayer.size = "8Gi";
        profile.getSpec().writableLayer.compression = NodeProfileSpec.ZramAlgorithm.ZSTD;
        profile.getSpec().persistence = new NodeProfileSpec.Persistence();
        profile.getSpec().persistence.paths = List.of("/var/lib/slurm");
        profile.getSpec().rootPasswordHash = new SecretKeyRef(name + "-root", "hash");
        profile.getSpec().ssh = new NodeProfileSpec.Ssh();
        profile.getSpec().ssh.certificateValidity = "48h";
        profile.getSpec().ssh.extraPrincipals = List.of("login.cluster.example");
        profile.getSpec().tpmPolicy = NodeProfileSpec.TpmPolicy.REQUIRED;
        harness.client.resource(new SecretBuilder().withNewMetadata().withName(name + "-root").withNamespace(NAMESPACE)
                .addToLabels(RootPasswordSecret.USE_LABEL, RootPasswordSecret.USE).endMetadata()
                .addToData("hash", Base64.getEncoder().encodeToString(PASSWORD_HASH.getBytes(StandardCharsets.UTF_8))).build()).create();
        return harness.client.resource(profile).create();
    }

    /**
     * An image published through the real reconciler: its builder Job "succeeds" with {@code digest} and the key id
     * of the key Secret the operator made. Returns the key, hex.
     */
    String publishedImage(String name, String digest) {
        var image = new DisklessImage();
        image.getMetadata().setName(name);
        image.getMetadata().setNamespace(NAMESPACE);
        image.setSpec(new DisklessImageSpec());
        image.getSpec().distribution = Distribution.DEBIAN;
        image.getSpec().release = "bookworm";
        harness.client.resource(image).create();
        String job = Names.buildJob(name, 1);
        eventually(() -> harness.client.batch().v1().jobs().inNamespace(NAMESPACE).withName(job).get());
        var secret = harness.client.secrets().inNamespace(NAMESPACE).withName(Names.imageKeySecret(name, 1)).get();
        byte[] key = Base64.getDecoder().decode(secret.getData().get("key"));
        String keyId = ImageKey.of(key).keyIdHex();
        BuilderJobs.succeed(harness, job, BuilderJobs.result(digest, "6.1.0-28-amd64", 100_000_000L)
                .replace("\"keyId\":\"k1\"", "\"keyId\":\"" + keyId + "\""));
        eventually(() -> assertThat(harness.client.resources(DisklessImage.class).inNamespace(NAMESPACE).withName(name).get()
                .getStatus().digest).isEqualTo(digest));
        return HexFormat.of().formatHex(key);
    }

    /** A node fetching its key over the network, as at its first boot. */
    String fetchKey(String node) throws Exception {
        var response = api.post(NAMESPACE, node, NodeApi.API_KEY, null, new ArmingRequest(List.of(MAC), null));
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        return response.as(ApiKeyIssued.class).apiKey();
    }

    List<Event> events() {
        return harness.client.events().v1().events().inNamespace(NAMESPACE).list().getItems();
    }

    /** The events recorded about one object (a NodeCredential, or the namespace for unknown nodes). */
    List<Event> eventsAbout(String kind, String name) {
        return events().stream()
                .filter(e -> e.getRegarding() != null && kind.equals(e.getRegarding().getKind()) && name.equals(e.getRegarding().getName()))
                .toList();
    }

    /** Everything written anywhere a person reads: log lines and event notes. */
    String everythingWritten() {
        var text = new StringBuilder(logs.text());
        events().forEach(e -> text.append(e.getReason()).append(' ').append(e.getNote()).append('\n'));
        return text.toString();
    }

    /**
     * The boot agent's own node API client for {@code node} (null: a machine not enrolled yet), trusting the cluster CA,
     * whose certificate it keeps in {@code dir} as a node keeps it from its addon archive.
     */
    dev.tether.agent.trust.NodeApiClient agentClient(String node, Path dir, AgentConsole console) throws Exception {
        Path caPem = dir.resolve("node-api-ca.pem");
        Files.writeString(caPem, harness.operator().trust().clusterCa().certificatePem());
        URI url = URI.create("https://127.0.0.1:" + server.address().getPort());
        var settings = new dev.tether.agent.trust.NodeApiClient.Settings(Duration.ofSeconds(5), Duration.ofSeconds(20), 2,
                new Backoff(Duration.ofMillis(100), Duration.ofMillis(200)), Duration.ofSeconds(1));
        return new dev.tether.agent.trust.NodeApiClient(List.of(url), NAMESPACE, node,
                NodeApiTls.context(caPem, NodeApi.SERVER_NAME), settings, dev.tether.agent.trust.NodeApiClient.Sleeper.REAL, console);
    }

    /** A merge patch of a profile: no resourceVersion, so a status the reconciler writes meanwhile does not conflict. */
    void mergePatch(String profile, String json) {
        harness.client.resources(NodeProfile.class).inNamespace(NAMESPACE).withName(profile)
                .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), json);
    }

    /** The stored salted hash of a credential's API key (base64 as stored, and decoded). */
    List<String> storedHash(String credential) {
        var secret = harness.client.secrets().inNamespace(NAMESPACE).withName(Names.apiKeySecret(credential)).get();
        var values = new ArrayList<String>();
        secret.getData().values().forEach(v -> {
            values.add(v);
            values.add(new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8));
        });
        return values;
    }
}

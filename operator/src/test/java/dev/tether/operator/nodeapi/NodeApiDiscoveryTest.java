package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.agent.AgentConsole;
import dev.tether.agent.trust.ApiKeyAcquisition;
import dev.tether.agent.trust.HardwareIdentity;
import dev.tether.agent.trust.KeySource;
import dev.tether.agent.trust.NodeApiCa;
import dev.tether.agent.trust.Registration;
import dev.tether.agent.trust.TpmAccess;
import dev.tether.agent.trust.TpmPolicy;
import dev.tether.agent.trust.TrustException;
import dev.tether.api.v1alpha1.Condition;
import dev.tether.api.v1alpha1.DiscoveredNode;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.nodeapi.ArmingRequest;
import dev.tether.nodeapi.DiscoveryAnswer;
import dev.tether.nodeapi.DiscoveryRequest;
import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.OperatorConfig;
import dev.tether.tpm.Swtpm;
import dev.tether.tpm.Tpm2;
import dev.tether.tpm.TpmIdentity;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Discovery and enrolment (issue 20): a machine no NodeCredential knows registers with the profile whose edges it
 * booted from, waits, is accepted, and then gets its key the normal way, and only through the TPM it reported.
 * Everything a registration says is a stranger's word: it cannot enrol itself, rename itself into a credential, or
 * replace what an earlier registration recorded, and a flood of them is bounded.
 */
class NodeApiDiscoveryTest extends NodeApiTestBase {
    static final String BOOT_MAC = "52:54:00:aa:00:01";
    static final int PER_SOURCE = 12;

    @TempDir
    static Path factory;
    @TempDir
    Path temp;

    private TwoTpms tpms;
    private Swtpm genuine;
    private Swtpm thief;
    private final ByteArrayOutputStream consoleBytes = new ByteArrayOutputStream();
    private final AgentConsole console = new AgentConsole(new PrintStream(consoleBytes, true, StandardCharsets.UTF_8),
            Optional.empty(), false);

    @BeforeAll
    static void manufacture() throws Exception {
        TwoTpms.manufacture(factory);
    }

    @BeforeEach
    void startTpms() throws Exception {
        tpms = TwoTpms.start(factory, temp);
        genuine = tpms.genuine();
        thief = tpms.thief();
    }

    @AfterEach
    void stopTpms() {
        if (tpms != null) {
            tpms.close();
        }
    }

    /** A small per-address budget, so the flood test reaches it quickly. */
    @Override
    UnaryOperator<OperatorConfig> settings() {
        return c -> c.withNodeApi(c.nodeApi().withFailureLimits(10, PER_SOURCE, Duration.ofMinutes(10)));
    }

    @Test
    void anUnknownMachineRegistersIsAcceptedAndGetsItsKeyOnlyThroughItsOwnTpm() throws Exception {
        publishedImage("bookworm", DIGEST);
        discoverable("compute", List.of(), false, 100);

        var answer = register("compute", request(BOOT_MAC, genuine));

        assertThat(answer.status()).as(answer.text()).isEqualTo(202);
        DiscoveryAnswer pending = answer.as(DiscoveryAnswer.class);
        assertThat(pending.state()).isEqualTo(DiscoveryAnswer.State.PENDING);
        assertThat(pending.name()).isEqualTo("mac-525400aa0001");
        assertThat(pending.message()).contains("waiting for an administrator", "kubectl patch discoverednode");
        DiscoveredNode recorded = eventually(() -> discovered("mac-525400aa0001"));
        assertThat(recorded.getSpec().hardware.macs).containsExactly(BOOT_MAC, "52:54:00:aa:00:02");
        assertThat(recorded.getSpec().hardware.endorsementKey).isEqualTo(fingerprint(genuine));
        assertThat(recorded.getSpec().hardware.serial).isEqualTo("SN-0001");
        eventually(() -> assertThat(ready(discovered("mac-525400aa0001")).reason).isEqualTo("AwaitingAcceptance"));
        assertThat(harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).list().getItems())
                .as("nothing is enrolled before an administrator accepts it").isEmpty();

        accept("mac-525400aa0001");

        NodeCredential enrolled = eventually(() -> harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE)
                .withName("node-525400aa0001").get());
        assertThat(enrolled.getSpec().endorsementKey).as("bound to the TPM it reported").isEqualTo(fingerprint(genuine));
        assertThat(enrolled.getSpec().arming).isEqualTo(Arming.ONCE);
        assertThat(enrolled.getSpec().hardware.macs).containsExactly(BOOT_MAC, "52:54:00:aa:00:02");
        eventually(() -> assertThat(discovered("mac-525400aa0001").getStatus().enrolledAs).isEqualTo("node-525400aa0001"));
        assertThat(ready(discovered("mac-525400aa0001")).status).isEqualTo(Condition.TRUE);
        var again = eventually(() -> {
            var r = register("compute", request(BOOT_MAC, genuine));
            return r.status() == 200 ? r : null;
        });
        assertThat(again.as(DiscoveryAnswer.class).state()).as("its next registration tells it to reboot")
                .isEqualTo(DiscoveryAnswer.State.ENROLLED);
        assertThat(again.as(DiscoveryAnswer.class).name()).isEqualTo("node-525400aa0001");

        // Another TPM that knows the MAC gets nothing; the reported one recovers the key through TPM2_ActivateCredential.
        eventually(() -> assertThat(status("node-525400aa0001").armed).isTrue());
        assertThatThrownBy(() -> acquisition("node-525400aa0001", thief).acquire(TpmPolicy.REQUIRED))
                .isInstanceOf(TrustException.class);
        assertThat(acquisition("node-525400aa0001", genuine).acquire(TpmPolicy.REQUIRED).source()).isEqualTo(KeySource.NETWORK);
    }

    @Test
    void theAgentRegistersItsMachineWaitsAndLearnsTheNodeItBecame() throws Exception {
        discoverable("compute", List.of("52:54:00"), false, 100);
        // The machine as sysfs shows it: two interfaces (the one it booted with is the second in name order) and SMBIOS.
        Path sysfs = temp.resolve("sys");
        for (var nic : List.of(List.of("eno1", "52:54:00:aa:00:02"), List.of("eno2", BOOT_MAC))) {
            Files.createDirectories(sysfs.resolve("class/net/" + nic.get(0)));
            Files.writeString(sysfs.resolve("class/net/" + nic.get(0) + "/address"), nic.get(1) + "\n");
            Files.writeString(sysfs.resolve("class/net/" + nic.get(0) + "/type"), "1\n");
        }
        Files.createDirectories(sysfs.resolve("class/dmi/id"));
        Files.writeString(sysfs.resolve("class/dmi/id/product_serial"), "SN-0001\n");
        Files.writeString(sysfs.resolve("class/dmi/id/sys_vendor"), "QEMU\n");
        Files.writeString(sysfs.resolve("class/dmi/id/product_name"), "Standard PC\n");
        var registration = new Registration(agentClient(null, temp, console), "compute", TpmAccess.tcti(genuine.tcti()), sysfs, console,
                duration -> Thread.sleep(50), Duration.ofMillis(50));

        var enrolled = CompletableFuture.supplyAsync(() -> {
            try {
                return registration.untilEnrolled(BOOT_MAC);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        DiscoveredNode recorded = eventually(() -> discovered("mac-525400aa0001"));
        assertThat(recorded.getSpec().hardware.macs).as("the boot MAC first").containsExactly(BOOT_MAC, "52:54:00:aa:00:02");
        assertThat(recorded.getSpec().hardware.product).isEqualTo("QEMU Standard PC");
        assertThat(recorded.getSpec().hardware.endorsementKey).isEqualTo(fingerprint(genuine));
        assertThat(enrolled).as("waiting for an administrator").isNotDone();

        accept("mac-525400aa0001");

        assertThat(enrolled.get(60, TimeUnit.SECONDS)).isEqualTo("node-525400aa0001");
        assertThat(consoleBytes.toString(StandardCharsets.UTF_8))
                .contains("registering it with profile compute")
                .contains("waiting for an administrator to accept it")
                .contains("enrolled as node node-525400aa0001");
    }

    @Test
    void aRegistrationCannotNameItselfIntoAnExistingCredential() throws Exception {
        discoverable("compute", List.of(), true, 100);
        create(credential("n1", "compute", Arming.ONCE));

        var answer = register("compute", request(MAC, thief));

        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        assertThat(answer.as(DiscoveryAnswer.class).state()).isEqualTo(DiscoveryAnswer.State.ENROLLED);
        NodeCredential n1 = harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).withName("n1").get();
        assertThat(n1.getSpec().endorsementKey).as("the credential is untouched").isNull();
        assertThat(harness.client.resources(DiscoveredNode.class).inNamespace(NAMESPACE).list().getItems()).isEmpty();
    }

    @Test
    void aSecondRegistrationWithOtherHardwareIsCountedAndBlocksEnrolment() throws Exception {
        discoverable("compute", List.of(), false, 100);
        assertThat(register("compute", request(BOOT_MAC, genuine)).status()).isEqualTo(202);

        var impostor = register("compute", request(BOOT_MAC, thief));

        assertThat(impostor.status()).isEqualTo(202);
        assertThat(impostor.as(DiscoveryAnswer.class).message()).contains("records other hardware under this MAC");
        DiscoveredNode recorded = discovered("mac-525400aa0001");
        eventually(() -> assertThat(discovered("mac-525400aa0001").getStatus().conflictingRegistrations).isEqualTo(1));
        assertThat(recorded.getSpec().hardware.endorsementKey).as("the first registration's TPM stays on record")
                .isEqualTo(fingerprint(genuine));

        accept("mac-525400aa0001");

        eventually(() -> assertThat(ready(discovered("mac-525400aa0001")).reason).isEqualTo("ConflictingRegistrations"));
        assertThat(harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).list().getItems()).isEmpty();
    }

    @Test
    void aMachineAnAdministratorEnrolledByHandMeanwhileIsNotEnrolledTwice() throws Exception {
        discoverable("compute", List.of(), false, 100);
        assertThat(register("compute", request(BOOT_MAC, genuine)).status()).isEqualTo(202);
        NodeCredential byHand = credential("cn042", "compute", Arming.ONCE);
        byHand.getSpec().hardware.macs = List.of("52:54:00:aa:00:02");
        create(byHand);

        accept("mac-525400aa0001");

        eventually(() -> assertThat(ready(discovered("mac-525400aa0001")).reason).isEqualTo("AlreadyEnrolled"));
        assertThat(ready(discovered("mac-525400aa0001")).message).contains("cn042");
        assertThat(harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).list().getItems())
                .extracting(c -> c.getMetadata().getName()).containsExactly("cn042");
    }

    @Test
    void registrationsAreRefusedWhereDiscoveryIsClosedOrTheMacIsNotUnderItsPrefixes() throws Exception {
        profile("closed", "bookworm");
        discoverable("compute", List.of("0c:c4:7a"), false, 100);

        var closed = register("closed", request(BOOT_MAC, null));
        var elsewhere = register("compute", request(BOOT_MAC, null));
        var missing = register("nosuchprofile", request(BOOT_MAC, null));

        assertThat(closed.status()).isEqualTo(403);
        assertThat(closed.error().error()).isEqualTo("DiscoveryClosed");
        assertThat(elsewhere.status()).isEqualTo(403);
        assertThat(elsewhere.error().error()).isEqualTo("NotDiscoverable");
        assertThat(elsewhere.error().message()).contains("0c:c4:7a");
        assertThat(missing.error().error()).isEqualTo("DiscoveryClosed");
        assertThat(harness.client.resources(DiscoveredNode.class).inNamespace(NAMESPACE).list().getItems()).isEmpty();
    }

    @Test
    void malformedRegistrationsAreBadRequestsThatSayWhy() throws Exception {
        discoverable("compute", List.of(), false, 100);
        String longText = "x".repeat(DiscoveryRequest.MAX_TEXT_CHARS + 1);

        assertThat(bad(new DiscoveryRequest(List.of(), null, null, null, null))).contains("MAC address the machine booted with");
        assertThat(bad(new DiscoveryRequest(List.of("52-54-00-aa-00-01"), null, null, null, null))).contains("colon-separated");
        assertThat(bad(new DiscoveryRequest(List.of(BOOT_MAC, BOOT_MAC), null, null, null, null))).contains("unique");
        assertThat(bad(new DiscoveryRequest(List.of(BOOT_MAC), null, "SN\u0000\u001b[2J", null, null))).contains("printable ASCII");
        assertThat(bad(new DiscoveryRequest(List.of(BOOT_MAC), null, null, longText, null))).contains("at most");
        assertThat(bad(new DiscoveryRequest(List.of(BOOT_MAC), null, null, null, new ArmingRequest.Tpm("%%%", "AAAA"))))
                .contains("not base64");
        var notJson = api.send("POST", NodeApi.discoveryPath(NAMESPACE, "compute"), null, "{".getBytes(StandardCharsets.UTF_8));
        assertThat(notJson.status()).isEqualTo(400);
        var get = api.send("GET", NodeApi.discoveryPath(NAMESPACE, "compute"), null, null);
        assertThat(get.status()).isEqualTo(405);
        assertThat(harness.client.resources(DiscoveredNode.class).inNamespace(NAMESPACE).list().getItems()).isEmpty();
    }

    @Test
    void aFloodOfRegistrationsIsRateLimitedAndWaitingMachinesAreBounded() throws Exception {
        discoverable("compute", List.of(), false, 3);
        for (int i = 1; i <= PER_SOURCE; i++) {
            String mac = String.format("52:54:00:bb:00:%02x", i);
            var answer = register("compute", request(mac, null));
            assertThat(answer.status()).as(answer.text()).isEqualTo(202);
            String name = "mac-525400bb00" + String.format("%02x", i);
            eventually(() -> discovered(name));
        }

        List<String> waiting = harness.client.resources(DiscoveredNode.class).inNamespace(NAMESPACE).list().getItems().stream()
                .map(node -> node.getMetadata().getName()).sorted().toList();
        assertThat(waiting).as("maxPending 3: the longest waiting gave way").hasSize(3)
                .containsExactly("mac-525400bb000a", "mac-525400bb000b", "mac-525400bb000c");
        assertThat(harness.operator().metrics().get("tether.discovery.pending.dropped").counter().count()).isEqualTo(PER_SOURCE - 3.0);

        // The address has spent its budget (PER_SOURCE per window): the next registration is not even read.
        var limited = register("compute", request("52:54:00:bb:00:ff", null));
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.header("Retry-After")).isNotNull();
        assertThat(harness.client.resources(DiscoveredNode.class).inNamespace(NAMESPACE).list().getItems()).hasSize(3);
    }

    @Test
    void aProfilesPolicyEnrolsMachinesWithATpmAndLeavesTheOthersToAnAdministrator() throws Exception {
        discoverable("compute", List.of("52:54:00"), true, 100);

        assertThat(register("compute", request(BOOT_MAC, genuine)).status()).isEqualTo(202);
        assertThat(register("compute", request("52:54:00:cc:00:01", null)).status()).isEqualTo(202);

        NodeCredential enrolled = eventually(() -> harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE)
                .withName("node-525400aa0001").get());
        assertThat(enrolled.getSpec().endorsementKey).isEqualTo(fingerprint(genuine));
        eventually(() -> assertThat(ready(discovered("mac-525400cc0001")).reason).isEqualTo("AwaitingAcceptance"));
        assertThat(ready(discovered("mac-525400cc0001")).message).contains("reported no TPM");
        assertThat(harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE).withName("node-525400cc0001").get())
                .as("no TPM, no enrolment by policy").isNull();

        accept("mac-525400cc0001");
        NodeCredential withoutTpm = eventually(() -> harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE)
                .withName("node-525400cc0001").get());
        assertThat(withoutTpm.getSpec().tpm).isEqualTo(NodeCredentialSpec.Tpm.ABSENT);
        assertThat(withoutTpm.getSpec().arming).as("without a TPM it fetches its key at every boot").isEqualTo(Arming.CONTINUOUS);
    }

    /** spec.discovery.namePrefix: an accepted machine becomes the NodeCredential named by the prefix and its boot MAC. */
    @Test
    void anAcceptedMachineIsNamedWithTheProfilesPrefixAndItsBootMac() throws Exception {
        NodeProfile profile = profile("compute", "bookworm");
        profile.getSpec().discovery = new NodeProfileSpec.Discovery();
        profile.getSpec().discovery.enabled = true;
        profile.getSpec().discovery.namePrefix = "rack7-";
        harness.client.resource(profile).update();

        assertThat(register("compute", request(BOOT_MAC, genuine)).status()).isEqualTo(202);
        eventually(() -> assertThat(ready(discovered("mac-525400aa0001")).reason).isEqualTo("AwaitingAcceptance"));
        accept("mac-525400aa0001");

        NodeCredential enrolled = eventually(() -> harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE)
                .withName("rack7-525400aa0001").get());
        assertThat(enrolled.getSpec().nodeName).isEqualTo("rack7-525400aa0001");
        assertThat(enrolled.getSpec().profile).isEqualTo("compute");
        assertThat(enrolled.getSpec().hardware.macs).containsExactly(BOOT_MAC, "52:54:00:aa:00:02");
        eventually(() -> assertThat(discovered("mac-525400aa0001").getStatus().enrolledAs)
                .isEqualTo("rack7-525400aa0001"));
        assertThat(harness.client.resources(NodeCredential.class).inNamespace(NAMESPACE)
                .withName("node-525400aa0001").get()).as("not the default prefix").isNull();
        var again = eventually(() -> {
            var r = register("compute", request(BOOT_MAC, genuine));
            return r.status() == 200 ? r : null;
        });
        assertThat(again.as(DiscoveryAnswer.class).name()).as("the node the machine reboots as")
                .isEqualTo("rack7-525400aa0001");
    }

    private void discoverable(String name, List<String> prefixes, boolean autoAccept, int maxPending) {
        NodeProfile profile = profile(name, "bookworm");
        profile.getSpec().discovery = new NodeProfileSpec.Discovery();
        profile.getSpec().discovery.enabled = true;
        profile.getSpec().discovery.macPrefixes = prefixes;
        profile.getSpec().discovery.autoAccept = autoAccept;
        profile.getSpec().discovery.maxPending = maxPending;
        harness.client.resource(profile).update();
    }

    private NodeApiTestClient.Response register(String profile, DiscoveryRequest request) throws Exception {
        return api.send("POST", NodeApi.discoveryPath(NAMESPACE, profile), null, NodeApiTestClient.JSON.writeValueAsBytes(request));
    }

    private String bad(DiscoveryRequest request) throws Exception {
        var answer = register("compute", request);
        assertThat(answer.status()).as(answer.text()).isEqualTo(400);
        return answer.error().message();
    }

    private DiscoveryRequest request(String bootMac, Swtpm tpm) throws Exception {
        List<String> macs = bootMac.equals(BOOT_MAC) ? List.of(BOOT_MAC, "52:54:00:aa:00:02") : List.of(bootMac);
        return new DiscoveryRequest(macs, null, "SN-0001", "QEMU Standard PC", tpm == null ? null : tpmPublic(tpm));
    }

    private static ArmingRequest.Tpm tpmPublic(Swtpm tpm) throws Exception {
        try (var store = Tpm2.open(tpm.tcti()); TpmIdentity identity = store.identity().orElseThrow()) {
            return new ArmingRequest.Tpm(base64(identity.endorsementKey().tpm2bPublic()), base64(identity.activationKey().tpm2bPublic()));
        }
    }

    private static String fingerprint(Swtpm tpm) throws Exception {
        try (var store = Tpm2.open(tpm.tcti()); TpmIdentity identity = store.identity().orElseThrow()) {
            return identity.endorsementKey().fingerprint();
        }
    }

    private DiscoveredNode discovered(String name) {
        DiscoveredNode node = harness.client.resources(DiscoveredNode.class).inNamespace(NAMESPACE).withName(name).get();
        return node == null || node.getStatus() == null ? null : node;
    }

    private static Condition ready(DiscoveredNode node) {
        Condition ready = node == null || node.getStatus() == null ? null : Condition.find(node.getStatus().conditions, Condition.READY);
        return ready == null ? new Condition() : ready;
    }

    private void accept(String name) {
        harness.edit(DiscoveredNode.class, name, node -> {
            node.getSpec().accept = true;
            return node;
        });
    }

    private ApiKeyAcquisition acquisition(String node, Swtpm tpm) throws Exception {
        return new ApiKeyAcquisition(agentClient(node, temp, console), NodeApiCa.read(temp.resolve("node-api-ca.pem")), TpmAccess.tcti(tpm.tcti()),
                () -> new HardwareIdentity(List.of(BOOT_MAC, "52:54:00:aa:00:02"), Optional.empty()), console);
    }

    private static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }
}

package dev.tether.agent.trust;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.AgentRun;
import dev.tether.agent.AgentServices;
import dev.tether.agent.ManifestServer;
import dev.tether.agent.RootImageSource;
import dev.tether.agent.root.HostTools;
import dev.tether.agent.root.PersistenceHook;
import dev.tether.image.format.ImageKey;
import dev.tether.nodeapi.BootConfiguration;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tether-agent boot} with a profile that has a node API, in process, up to the image: the API key,
 * the boot configuration merged (its edges and image win over the addon's, the command line over both), the
 * image key from the node API handed to the image source. The mounts after it are BootEndToEndTest's.
 */
class TrustedBootTest {
    @TempDir
    Path temp;

    @Test
    void theKeyTheBootConfigurationAndTheImageKeyComeFromTheNodeApi() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp.resolve("api")); ManifestServer edge = new ManifestServer()) {
            ImageKey imageKey = ImageKey.generate(new SecureRandom());
            String image = edge.publish(ManifestServer.manifest("sha256:" + "cd".repeat(32), 1 << 20, true,
                    imageKey.keyIdHex()));
            FakeNodeApi.Node node = fixture.credential("once", true);
            BootConfiguration base = node.config;
            node.config = new BootConfiguration(base.namespace(), base.nodeName(), base.fqdn(), base.addresses(),
                    base.profile(), image, "untethered", List.of(edge.url().toString()), base.kernelArgs(),
                    base.writableLayer(), base.persistencePaths(), base.rootPasswordHash(), base.ssh(), base.tpmPolicy());
            node.imageKeys.put(image, HexFormat.of().formatHex(imageKey.bytes()));
            InMemoryTpm tpm = new InMemoryTpm();
            List<RootImageSource.Request> requests = new ArrayList<>();
            RootImageSource images = request -> {
                requests.add(request);
                throw new IOException("the test stops here");
            };
            AgentServices services = new AgentServices(images, PersistenceHook.NONE, HostTools.fromEnvironment(),
                    tpm.access(), TrustFixture::hardware, TrustFixture.FAST.get(1), fixture.pauses::add);
            Path addon = Files.writeString(temp.resolve("profile.json"), """
                    {"namespace":"hpc","profile":"compute","method":"tethered","image":"sha256:%s",
                     "edges":["http://127.0.0.1:9"],"nodeApi":["%s"],"tpmPolicy":"required"}
                    """.formatted("ee".repeat(32), fixture.api.url()));
            Path cmdline = Files.writeString(temp.resolve("cmdline"),
                    "boot=tether tether.node=n1 tether.method=tethered tether.console=console\n");

            AgentRun run = AgentRun.of(services, "boot", temp.resolve("sysroot").toString(), "--cmdline", cmdline.toString(),
                    "--addon", addon.toString(), "--node-api-ca", fixture.caPem.toString(),
                    "--run-dir", temp.resolve("run").toString());

            assertThat(run.errors()).containsExactly("tether: error: image failed: the test stops here");
            assertThat(requests).singleElement().satisfies(request -> {
                assertThat(request.method().value()).as("the command line wins over the node API").isEqualTo("tethered");
                assertThat(request.edges()).as("the node API's edges win over the addon's").containsExactly(edge.url());
                assertThat(request.key()).hasValueSatisfying(key -> assertThat(key.keyIdHex()).isEqualTo(imageKey.keyIdHex()));
            });
            assertThat(run.output()).contains("tether: the node API issued a new API key for hpc/n1 (arming now disarmed)")
                    .contains("tether: sealed the new API key in the TPM").contains("tether: PCR 15 extended")
                    .contains("tether: node n1, profile compute, tethered from 1 edge")
                    .contains("the profile's tpmPolicy is now preferred but the addon archive said required")
                    .doesNotContain(node.key).doesNotContain(HexFormat.of().formatHex(imageKey.bytes()));
            assertThat(tpm.locked()).isTrue();
            assertThat(fixture.api.requests).containsExactly("POST /v1/namespaces/hpc/nodes/n1/api-key",
                    "GET /v1/namespaces/hpc/nodes/n1/boot-config",
                    "GET /v1/namespaces/hpc/nodes/n1/image-key?digest=" + image.replace(":", "%3A"));
        }
    }

    @Test
    void aProfileThatRequiresATpmStopsOnAMachineWithout() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp.resolve("api"))) {
            fixture.credential("continuous", true);
            AgentServices services = new AgentServices(request -> {
                throw new AssertionError("no image without a key");
            }, PersistenceHook.NONE, HostTools.fromEnvironment(), TpmAccess.NONE, TrustFixture::hardware,
                    TrustFixture.FAST.get(1), fixture.pauses::add);
            Path addon = Files.writeString(temp.resolve("profile.json"), """
                    {"namespace":"hpc","profile":"compute","nodeApi":["%s"],"tpmPolicy":"required"}
                    """.formatted(fixture.api.url()));
            Path cmdline = Files.writeString(temp.resolve("cmdline"), "boot=tether tether.node=n1 tether.console=console\n");
            AgentRun run = AgentRun.of(services, "boot", temp.resolve("sysroot").toString(), "--cmdline", cmdline.toString(),
                    "--addon", addon.toString(), "--node-api-ca", fixture.caPem.toString(),
                    "--run-dir", temp.resolve("run").toString());
            assertThat(run.status()).isEqualTo(1);
            assertThat(run.errors()).singleElement().asString().startsWith("tether: error: apikey failed: the profile"
                    + " requires a TPM (tpmPolicy: required) and this machine has none");
            assertThat(fixture.api.requests).isEmpty();
        }
    }
}

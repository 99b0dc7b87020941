package dev.tether.agent.trust;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.AgentRun;
import dev.tether.agent.AgentServices;
import dev.tether.agent.EdgeImageSource;
import dev.tether.agent.ManifestServer;
import dev.tether.agent.RootImageSource;
import dev.tether.agent.root.HostTools;
import dev.tether.agent.root.PersistenceHook;
import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.ImageHeader;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.ImageOptions;
import dev.tether.image.format.RootImageWriter;
import dev.tether.nodeapi.BootConfiguration;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tether-agent boot} with a profile that has a node API, in process, up to the image: the API key,
 * the boot configuration merged (its image, method and edges win over the addon's, and its image and method
 * over the command line's), the image key from the node API handed to the image source. The mounts after it are
 * BootEndToEndTest's. The image comes from the authenticated node API down: a command line naming another image
 * stops the boot, and so does an edge serving another container under the image's URL.
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
                    base.profile(), image, "tethered", List.of(edge.url().toString()), base.kernelArgs(),
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
                    "boot=tether tether.node=n1 tether.method=untethered tether.console=console\n");

            AgentRun run = AgentRun.of(services, "boot", temp.resolve("sysroot").toString(), "--cmdline", cmdline.toString(),
                    "--addon", addon.toString(), "--node-api-ca", fixture.caPem.toString(),
                    "--run-dir", temp.resolve("run").toString());

            assertThat(run.errors()).containsExactly("tether: error: image failed: the test stops here");
            assertThat(requests).singleElement().satisfies(request -> {
                assertThat(request.method().value()).as("the node API wins over the command line").isEqualTo("tethered");
                assertThat(request.edges()).as("the node API's edges win over the addon's").containsExactly(edge.url());
                assertThat(request.key()).hasValueSatisfying(key -> assertThat(key.keyIdHex()).isEqualTo(imageKey.keyIdHex()));
            });
            assertThat(run.output()).contains("tether: the node API issued a new API key for hpc/n1 (arming now disarmed)")
                    .contains("tether: sealed the new API key in the TPM").contains("tether: PCR 15 extended")
                    .contains("tether: ignoring tether.method=untethered: the node API's boot configuration says tethered,"
                            + " and only it decides how the image is read")
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
    void anEdgeServingAnUnencryptedContainerUnderTheEncryptedImagesUrlStopsTheBoot() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp.resolve("api")); ManifestServer edge = new ManifestServer()) {
            ImageKey imageKey = ImageKey.generate(new SecureRandom());
            byte[] real = container(ImageOptions.encrypted(imageKey));
            String image = edge.publish(ManifestServer.manifest(real));
            // The edge's own container, under the real container's URL: its chunks carry hashes it computed itself.
            edge.serve(ContentDigest.of(real), container(ImageOptions.unencrypted()));
            FakeNodeApi.Node node = nodeBooting(fixture, image, edge);
            node.imageKeys.put(image, HexFormat.of().formatHex(imageKey.bytes()));
            AgentServices services = new AgentServices(new EdgeImageSource(), PersistenceHook.NONE,
                    HostTools.fromEnvironment(), new InMemoryTpm().access(), TrustFixture::hardware,
                    TrustFixture.FAST.get(1), fixture.pauses::add);

            AgentRun run = boot(fixture, services, "boot=tether tether.node=n1 tether.console=console\n");

            assertThat(run.status()).isEqualTo(1);
            assertThat(run.errors()).singleElement().asString().startsWith("tether: error: image failed: no edge serves"
                    + " the header of root image " + ContentDigest.shortForm(ContentDigest.of(real)) + " as the manifest"
                    + " pins it (" + edge.url() + ": cipher NONE+SHA-256 where the manifest pins AES-256-GCM, key id (none)"
                    + " where the manifest pins " + imageKey.keyIdHex());
            assertThat(run.output()).contains("tether: " + edge.url() + " answered for the header of root image")
                    .doesNotContain("\tat ").doesNotContain("mounted image");
        }
    }

    @Test
    void aCommandLineNamingAnotherImageThanTheNodeApiStopsTheBoot() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp.resolve("api")); ManifestServer edge = new ManifestServer()) {
            String image = edge.publish(ManifestServer.manifest("sha256:" + "cd".repeat(32), 1 << 20, false, null));
            // What a forged iPXE script would name: an image of the attacker's, unencrypted so that no key is asked.
            String forged = edge.publish(ManifestServer.manifest("sha256:" + "66".repeat(32), 1 << 20, false, null));
            nodeBooting(fixture, image, edge);
            AgentServices services = new AgentServices(request -> {
                throw new AssertionError("no image when the command line and the node API disagree");
            }, PersistenceHook.NONE, HostTools.fromEnvironment(), new InMemoryTpm().access(), TrustFixture::hardware,
                    TrustFixture.FAST.get(1), fixture.pauses::add);

            AgentRun run = boot(fixture, services, "boot=tether tether.node=n1 tether.image=" + forged
                    + " tether.console=console\n");

            assertThat(run.status()).isEqualTo(1);
            assertThat(run.errors()).containsExactly("tether: error: bootconfig failed: the kernel command line names the"
                    + " image " + forged + " but the node API (authenticated) says " + image + "; the command line comes"
                    + " over plain HTTP, so the boot stops rather than choose: reboot to fetch a fresh iPXE script (one"
                    + " fetched before a new image version was published names the old one), and if it persists, check"
                    + " the edge serving /boot/ipxe?mac=... and who can change what it serves");
            assertThat(fixture.api.requests).containsExactly("POST /v1/namespaces/hpc/nodes/n1/api-key",
                    "GET /v1/namespaces/hpc/nodes/n1/boot-config");
        }
    }

    /** The credential hpc/n1, armed, whose profile boots {@code image} tethered from {@code edge}. */
    private static FakeNodeApi.Node nodeBooting(TrustFixture fixture, String image, ManifestServer edge) {
        FakeNodeApi.Node node = fixture.credential("once", true);
        BootConfiguration base = node.config;
        node.config = new BootConfiguration(base.namespace(), base.nodeName(), base.fqdn(), base.addresses(),
                base.profile(), image, "tethered", List.of(edge.url().toString()), base.kernelArgs(),
                base.writableLayer(), base.persistencePaths(), base.rootPasswordHash(), base.ssh(), base.tpmPolicy());
        return node;
    }

    private AgentRun boot(TrustFixture fixture, AgentServices services, String cmdline) throws IOException {
        Path addon = Files.writeString(temp.resolve("profile.json"), """
                {"namespace":"hpc","profile":"compute","edges":["http://127.0.0.1:9"],"nodeApi":["%s"]}
                """.formatted(fixture.api.url()));
        Path cmdlineFile = Files.writeString(temp.resolve("cmdline"), cmdline);
        return AgentRun.of(services, "boot", temp.resolve("sysroot").toString(), "--cmdline", cmdlineFile.toString(),
                "--addon", addon.toString(), "--node-api-ca", fixture.caPem.toString(),
                "--run-dir", temp.resolve("run").toString());
    }

    /** A small container of random bytes: nothing mounts it, the header is what the boot judges. */
    private byte[] container(ImageOptions options) throws IOException {
        Path plain = temp.resolve("plain");
        if (!Files.exists(plain)) {
            byte[] bytes = new byte[3 * ImageHeader.MIN_CHUNK_SIZE + 100];
            new Random(7).nextBytes(bytes);
            Files.write(plain, bytes);
        }
        Path file = Files.createTempFile(temp, "root-", ".img");
        RootImageWriter.writeFile(plain, file, options.withChunkSize(ImageHeader.MIN_CHUNK_SIZE));
        return Files.readAllBytes(file);
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

package dev.tether.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.DisklessImageStatus;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.content.boot.LoadedBootConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the operator writes into a profile's boot ConfigMap loads in the edge's own parser, as mounted. */
class BootConfigContractTest {
    static final String DIGEST = "sha256:" + "a".repeat(64);

    @Test
    void theEdgeLoadsTheOperatorsBootConfig(@TempDir Path mounted) throws Exception {
        var image = NodeProfileReconcilerTest.image("bookworm");
        image.setStatus(new DisklessImageStatus());
        var version = new DisklessImageStatus.ImageVersion();
        version.digest = DIGEST;
        version.artifacts = new DisklessImageStatus.Artifacts();
        version.artifacts.manifest = "/blobs/sha256/" + "a".repeat(64);
        version.artifacts.kernel = "/blobs/sha256/" + "c".repeat(64);
        version.artifacts.initramfs = "/blobs/sha256/" + "e".repeat(64);
        version.artifacts.rootImage = "/blobs/sha256/" + "d".repeat(64);
        image.getStatus().versions = List.of(version);
        var profile = NodeProfileReconcilerTest.profile("compute", "bookworm");
        profile.getSpec().kernelArgs = List.of("console=ttyS0,115200");
        profile.getSpec().discovery = new NodeProfileSpec.Discovery();
        profile.getSpec().discovery.enabled = true;
        profile.getSpec().discovery.macPrefixes = List.of("52:54:00", "0c:c4:7a:10");
        var configMap = BootConfigMap.build(profile, ResolvedImage.resolve(profile, Optional.of(image)),
                List.of(NodeProfileReconcilerTest.credential("node-001", "compute", "52:54:00:12:34:56")),
                List.of("http://192.168.10.11:8080"), List.of("https://192.168.10.11:8443"), null);
        // Kubernetes mounts each key of the ConfigMap as a file.
        for (Map.Entry<String, String> entry : configMap.getData().entrySet()) {
            Files.writeString(mounted.resolve(entry.getKey()), entry.getValue());
        }
        for (Map.Entry<String, String> entry : configMap.getBinaryData().entrySet()) {
            Files.write(mounted.resolve(entry.getKey()), Base64.getDecoder().decode(entry.getValue()));
        }

        LoadedBootConfig loaded = LoadedBootConfig.load(mounted.resolve(BootConfigMap.BOOT_JSON));

        var compute = loaded.profiles().get("compute");
        assertThat(compute).isNotNull();
        assertThat(compute.image().toString()).isEqualTo(DIGEST);
        assertThat(compute.kernel().toString()).isEqualTo("sha256:" + "c".repeat(64));
        assertThat(compute.method()).isEqualTo("tethered");
        assertThat(compute.kernelArgs()).isEqualTo("console=ttyS0,115200");
        assertThat(Files.exists(mounted.resolve(compute.addonFile()))).isTrue();
        assertThat(loaded.nodes().values()).singleElement().satisfies(n -> {
            assertThat(n.node()).isEqualTo("node-001");
            assertThat(n.profile()).isEqualTo("compute");
        });
        assertThat(loaded.edgeUrls()).containsExactly("http://192.168.10.11:8080");
        assertThat(loaded.discovery()).hasValueSatisfying(d -> {
            assertThat(d.profile()).isEqualTo("compute");
            assertThat(d.macPrefixes()).containsExactly("52:54:00", "0c:c4:7a:10");
        });
    }
}

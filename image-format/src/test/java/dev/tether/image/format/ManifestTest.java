package dev.tether.image.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManifestTest {
    private static final String D = "sha256:" + "ab".repeat(32);

    private static Manifest sample(String rootFile) {
        return new Manifest(1, "imgutil 0.1.0", "2025-01-01T00:00:00Z", "debian", "bookworm", "amd64",
                "6.1.0-28-amd64", "zstd", new Manifest.Artifact("vmlinuz", D, 1),
                new Manifest.Artifact("initrd.img", D, 2), new Manifest.Artifact(rootFile, D, 3),
                new Manifest.Artifact(null, D, 4), new Manifest.Encryption("AES-256-GCM", "00ff", 1 << 20, 1, D));
    }

    @Test
    void roundTripsAndIgnoresUnknownFields() throws Exception {
        Manifest manifest = sample("root.img");
        String json = new String(manifest.toJson(), StandardCharsets.UTF_8);
        assertThat(json).startsWith("{\n  \"formatVersion\" : 1,").doesNotContain("\"key\"");

        String newer = json.replaceFirst("\\{", "{\"addedLater\":{\"x\":1},");
        assertThat(Manifest.parse(newer.getBytes(StandardCharsets.UTF_8))).isEqualTo(manifest);
        assertThat(manifest.encryption().encrypted()).isTrue();
    }

    /** Manifests imgutil wrote with databind and those it writes now are the same bytes, so an image digest is too. */
    @Test
    void writesTheBytesDatabindWroteForTheSameManifest() throws Exception {
        ObjectMapper databind = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        for (Manifest manifest : List.of(sample("root.img"), new Manifest(1, "imgutil 0.1.0", null, "debian", "bookworm",
                "amd64", "6.1.0-28-amd64", "zstd", new Manifest.Artifact("vmlinuz", D, 1), new Manifest.Artifact("initrd.img", D, 2),
                new Manifest.Artifact("root.img", D, 3), null,
                new Manifest.Encryption("none", null, 1 << 20, 7, D, "AAAA")))) {
            assertThat(new String(manifest.toJson(), StandardCharsets.UTF_8))
                    .isEqualTo(databind.writeValueAsString(manifest) + "\n");
        }
    }

    @Test
    void artifactNamesMustStayInTheOutputDirectory() {
        byte[] json = sample("../../etc/passwd").toJson();
        assertThatThrownBy(() -> Manifest.parse(json))
                .isInstanceOf(ImageFormatException.class)
                .hasMessage("manifest has no valid entry for rootImage");
    }

    @Test
    void notJsonIsAFormatError() {
        assertThatThrownBy(() -> Manifest.parse("{oops".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ImageFormatException.class)
                .hasMessageStartingWith("manifest is not valid JSON");
    }

    @Test
    void digestsAreFormattedAndChecked() {
        assertThat(ContentDigest.of(new byte[0]))
                .isEqualTo("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assertThat(ContentDigest.isValid("sha256:ABC")).isFalse();
        assertThatThrownBy(() -> ContentDigest.hex("md5:00")).isInstanceOf(IllegalArgumentException.class);
    }
}

package dev.tether.imgutil.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.imgutil.UserError;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** What imgutil accepts as an OCI image, and what skopeo is then given. */
class OciSourceTest {
    static final String DIGEST = "sha256:" + "0123456789abcdef".repeat(4);

    @Test
    void registryReferencesWithAndWithoutTransportTagOrDigest() {
        OciSource tagged = OciSource.parse("registry.example.org:5000/hpc/compute:2024.1");
        assertThat(tagged.kind()).isEqualTo(OciSource.Kind.REGISTRY);
        assertThat(tagged.skopeoReference()).isEqualTo("docker://registry.example.org:5000/hpc/compute:2024.1");
        assertThat(tagged.skopeoReferencePinnedTo(DIGEST))
                .as("copied by the digest read, so a moved tag cannot swap the image")
                .isEqualTo("docker://registry.example.org:5000/hpc/compute@" + DIGEST);
        assertThat(tagged.namedDigest()).isNull();

        OciSource pinned = OciSource.parse("docker://localhost/debian:bookworm@" + DIGEST);
        assertThat(pinned.namedDigest()).isEqualTo(DIGEST);
        assertThat(pinned.skopeoReferencePinnedTo(DIGEST)).isEqualTo("docker://localhost/debian@" + DIGEST);
        assertThat(OciSource.parse("debian").skopeoReference()).isEqualTo("docker://debian");
    }

    @Test
    void layoutsAndArchivesBecomeAbsolutePaths() {
        OciSource layout = OciSource.parse("oci:/srv/images/layout:v1");
        assertThat(layout.kind()).isEqualTo(OciSource.Kind.LAYOUT);
        assertThat(layout.skopeoReference()).isEqualTo("oci:/srv/images/layout:v1");
        assertThat(layout.skopeoReferencePinnedTo(DIGEST)).isEqualTo("oci:/srv/images/layout:v1");
        assertThat(OciSource.parse("oci-archive:/tmp/image.tar").skopeoReference()).isEqualTo("oci-archive:/tmp/image.tar");
        assertThat(OciSource.parse("docker-archive:relative/image.tar").location()).startsWith("/").endsWith("/relative/image.tar");
    }

    @ParameterizedTest
    @ValueSource(strings = {"registry.example.org/x;reboot", "x/y:tag$(id)", "x/y`id`", "x/y && id", "x/Upper", "x/y:",
            "x/y@sha256:short", "x//y", "-x/y", "x/y|id", "x/y\nz", "x/y:tag:other", "docker://", "http://x/y"})
    void referencesThatAreNotReferencesAreRefusedWithTheForms(String text) {
        assertThatThrownBy(() -> OciSource.parse(text)).isInstanceOf(UserError.class)
                .hasMessageContaining("registry.example.org/repo/name:tag");
    }

    @ParameterizedTest
    @ValueSource(strings = {"oci:/tmp/my layout", "oci:/tmp/x;id", "oci-archive:/tmp/$(id).tar", "oci:", "oci:/tmp/x:bad tag",
            "docker-archive:-rf"})
    void localPathsWithShellOrSkopeoCharactersAreRefused(String text) {
        assertThatThrownBy(() -> OciSource.parse(text)).isInstanceOf(UserError.class).hasMessageContaining("'");
    }

    @Test
    void anEmptyReferenceSaysWhatToGive() {
        assertThatThrownBy(() -> OciSource.parse(" ")).isInstanceOf(UserError.class)
                .hasMessageStartingWith("no OCI image given; give an image reference");
    }
}

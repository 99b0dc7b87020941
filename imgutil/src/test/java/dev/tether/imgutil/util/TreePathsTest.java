package dev.tether.imgutil.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TreePathsTest {
    @TempDir
    Path root;

    @Test
    void followsLinksInsideTheTreeAsChrootWould() throws Exception {
        Files.createDirectories(root.resolve("usr/bin"));
        Files.createSymbolicLink(root.resolve("bin"), Path.of("usr/bin"));
        Files.createDirectories(root.resolve("etc"));
        Files.createSymbolicLink(root.resolve("etc/alt"), Path.of("/usr"));

        assertThat(TreePaths.resolveInside(root, "/bin/tool")).isEqualTo(root.resolve("usr/bin/tool"));
        assertThat(TreePaths.resolveInside(root, "/etc/alt/bin/x")).isEqualTo(root.resolve("usr/bin/x"));
    }

    @Test
    void neverLeavesTheTree() throws Exception {
        Files.createSymbolicLink(root.resolve("escape"), Path.of("../../.."));
        assertThatThrownBy(() -> TreePaths.resolveInside(root, "/escape/etc/passwd"))
                .hasMessageContaining("leaves the image");
        assertThatThrownBy(() -> TreePaths.resolveInside(root, "/../etc/passwd")).hasMessageContaining("leaves the image");
        assertThatThrownBy(() -> TreePaths.resolveInside(root, "relative")).hasMessageContaining("must be absolute");
    }

    @Test
    void sizesReadLikeKubernetesQuantities() {
        assertThat(Sizes.parseInt("1Mi", "x")).isEqualTo(1 << 20);
        assertThat(Sizes.parseInt("256KiB", "x")).isEqualTo(256 << 10);
        assertThat(Sizes.parseInt("65536", "x")).isEqualTo(65536);
        assertThatThrownBy(() -> Sizes.parseInt("1MB", "--chunk-size")).hasMessageContaining("is not a size");
    }
}

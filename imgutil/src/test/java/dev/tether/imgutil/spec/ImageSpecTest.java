package dev.tether.imgutil.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.imgutil.UserError;
import dev.tether.imgutil.pack.BuilderResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageSpecTest {
    @TempDir
    Path dir;

    @Test
    void readsTheDisklessImageShapeAndIgnoresUnknownFields() throws Exception {
        Path file = Files.writeString(dir.resolve("spec.json"), """
                {"distribution":"debian","release":"bookworm","architecture":"amd64","packages":["openssh-server"],
                 "repositories":["deb http://example.org/debian bookworm main",
                                 {"url":"http://example.org/extra","suite":"stable","components":["main","contrib"]}],
                 "steps":[{"name":"x","run":"echo hi"}],
                 "files":[{"path":"/etc/motd","content":"hi","mode":"0644"}],
                 "compression":"zstd","encryption":"enabled","chunkSize":"1Mi",
                 "builderResources":{"cpu":"2"},"futureField":true}
                """);

        ImageSpec spec = ImageSpec.read(file);

        assertThat(spec.packages()).containsExactly("openssh-server");
        assertThat(spec.steps()).containsExactly(new ImageSpec.Step("x", "echo hi"));
        assertThat(spec.files()).containsExactly(new ImageSpec.FileEntry("/etc/motd", "hi", "0644"));
        assertThat(spec.encrypted()).isTrue();
        assertThat(spec.repositoryLines()).containsExactly("deb http://example.org/debian bookworm main",
                "deb http://example.org/extra stable main contrib");
    }

    @Test
    void aRepositoryWithoutComponentsGetsMain() throws Exception {
        // The operator writes the DisklessImage spec with every list, so a repository given without components
        // arrives with an empty list; "deb <url> <suite> " with no component is a line apt refuses.
        Path file = Files.writeString(dir.resolve("spec.json"), """
                {"distribution":"debian","release":"bookworm","repositories":[
                 {"url":"http://example.org/extra","components":[]},
                 {"url":"http://example.org/other","suite":"stable"},
                 {"url":"http://example.org/flat","suite":"stable/","components":[]}]}
                """);
        assertThat(ImageSpec.read(file).repositoryLines()).containsExactly("deb http://example.org/extra bookworm main",
                "deb http://example.org/other stable main", "deb http://example.org/flat stable/");
    }

    @Test
    void encryptionIsOnUnlessDisabled() throws Exception {
        Path file = Files.writeString(dir.resolve("spec.json"),
                "{\"distribution\":\"debian\",\"release\":\"bookworm\",\"encryption\":\"disabled\"}");
        assertThat(ImageSpec.read(file).encrypted()).isFalse();
        Files.writeString(file, "{\"distribution\":\"debian\",\"release\":\"bookworm\"}");
        assertThat(ImageSpec.read(file).encrypted()).isTrue();
    }

    @Test
    void brokenSpecsAreUserErrors() throws Exception {
        Path file = Files.writeString(dir.resolve("spec.json"), "{\"distribution\":");
        assertThatThrownBy(() -> ImageSpec.read(file)).isInstanceOf(UserError.class)
                .hasMessageStartingWith("cannot read the image spec");
        Files.writeString(file, "{\"release\":\"bookworm\"}");
        assertThatThrownBy(() -> ImageSpec.read(file)).hasMessageContaining("needs a distribution");
        Files.writeString(file, "{\"distribution\":\"debian\"}");
        assertThatThrownBy(() -> ImageSpec.read(file)).hasMessageContaining("needs a release for distribution debian");
        Files.writeString(file, "{\"distribution\":\"oci\",\"source\":{\"pullSecret\":\"regcred\"}}");
        assertThatThrownBy(() -> ImageSpec.read(file)).hasMessageContaining("has distribution oci but no source.image");
    }

    @Test
    void rhelRepositoriesGiveTheirBaseurlsAndSigningKeys() throws Exception {
        Path file = Files.writeString(dir.resolve("spec.json"), """
                {"distribution":"rhel-family","release":"9","repositories":[
                 {"url":"https://r.example.org/9/BaseOS/x86_64/os/","gpgKey":"https://r.example.org/RPM-GPG-KEY"},
                 {"url":"https://r.example.org/9/AppStream/x86_64/os/","gpgKey":"https://r.example.org/RPM-GPG-KEY"}]}
                """);
        ImageSpec spec = ImageSpec.read(file);
        assertThat(spec.repositoryLines()).containsExactly("https://r.example.org/9/BaseOS/x86_64/os/",
                "https://r.example.org/9/AppStream/x86_64/os/");
        assertThat(spec.gpgKeys()).containsExactly("https://r.example.org/RPM-GPG-KEY");
    }

    @Test
    void anOciSpecNeedsNoReleaseAndNamesItsImage() throws Exception {
        Path file = Files.writeString(dir.resolve("spec.json"), """
                {"distribution":"oci","source":{"image":"registry.example.org/hpc/compute:1","pullSecret":"regcred",
                 "insecure":true},"packages":["htop"]}
                """);
        ImageSpec spec = ImageSpec.read(file);
        assertThat(spec.release()).isNull();
        assertThat(spec.source().image()).isEqualTo("registry.example.org/hpc/compute:1");
        assertThat(spec.source().insecure()).isTrue();
        assertThat(spec.packages()).containsExactly("htop");
    }

    @Test
    void modesAreOctalPermissionBits() {
        assertThat(PosixFilePermissions.toString(SpecRunner.mode("0640", "/x"))).isEqualTo("rw-r-----");
        assertThat(PosixFilePermissions.toString(SpecRunner.mode("755", "/x"))).isEqualTo("rwxr-xr-x");
        assertThatThrownBy(() -> SpecRunner.mode("rw", "/x")).hasMessageContaining("is not octal");
        assertThatThrownBy(() -> SpecRunner.mode("4755", "/x")).hasMessageContaining("only permission bits");
    }

    @Test
    void failureResultIsOneLineOfJsonBelow4KiB() throws Exception {
        String line = BuilderResult.failure("first line\nsecond line " + "x".repeat(10_000));
        assertThat(line).doesNotContain("\n");
        assertThat(line.getBytes()).hasSizeLessThan(4096);
        assertThat(new ObjectMapper().readTree(line).get("error").asText()).startsWith("first line second line");
    }

    @Test
    void specFailureWritesTheErrorLine() throws Exception {
        Path spec = Files.writeString(dir.resolve("spec.json"),
                "{\"distribution\":\"gentoo\",\"release\":\"x\",\"encryption\":\"disabled\"}");
        Path result = dir.resolve("result");
        dev.tether.imgutil.cli.CliRun run = dev.tether.imgutil.cli.CliRun.of("run-spec", spec.toString(), "--work",
                dir.resolve("work").toString(), "--out", dir.resolve("out").toString(), "--result-file",
                result.toString());
        assertThat(run.status()).isEqualTo(1);
        assertThat(Files.readString(result)).isEqualTo("{\"error\":\"unknown distribution 'gentoo' (known: debian,"
                + " ubuntu, rhel-family, oci)\"}\n");
        assertThat(dir.resolve("out")).doesNotExist();
    }
}

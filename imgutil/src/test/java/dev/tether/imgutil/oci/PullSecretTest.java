package dev.tether.imgutil.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.imgutil.UserError;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pull credentials: accepted in the forms Kubernetes and docker write, private while used, never echoed. */
class PullSecretTest {
    static final String PASSWORD = "pa55-w0rd-never-shown";
    static final String AUTH = Base64.getEncoder().encodeToString(("builder:" + PASSWORD).getBytes(StandardCharsets.UTF_8));

    @TempDir
    Path dir;

    @Test
    void aMountedDockerConfigJsonSecretBecomesAPrivateAuthFileGoneAfterUse() throws Exception {
        Path mounted = Files.createDirectories(dir.resolve("pull-secret"));
        Files.writeString(mounted.resolve(".dockerconfigjson"), "{\"auths\":{\"registry.example.org\":{\"username\":"
                + "\"builder\",\"password\":\"" + PASSWORD + "\",\"email\":\"x@example.org\",\"auth\":\"" + AUTH + "\"}}}");
        Path work = Files.createDirectories(dir.resolve("work"));

        Path used;
        try (PullSecret.AuthFile auth = PullSecret.open(mounted, work)) {
            used = auth.path();
            assertThat(used.getParent()).isEqualTo(work);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(used))).isEqualTo("rw-------");
            assertThat(new ObjectMapper().readTree(used.toFile()).at("/auths/registry.example.org/auth").asText()).isEqualTo(AUTH);
        }
        assertThat(used).doesNotExist();
    }

    @Test
    void theOlderDockercfgAndUsernamePasswordEntriesAreTurnedIntoAuth() throws Exception {
        Path mounted = Files.createDirectories(dir.resolve("legacy"));
        Files.writeString(mounted.resolve(".dockercfg"),
                "{\"registry.example.org\":{\"username\":\"builder\",\"password\":\"" + PASSWORD + "\"}}");
        try (PullSecret.AuthFile auth = PullSecret.open(mounted, dir)) {
            assertThat(new ObjectMapper().readTree(auth.path().toFile()).at("/auths/registry.example.org/auth").asText())
                    .isEqualTo(AUTH);
        }
    }

    @Test
    void brokenJsonIsRefusedByLineWithoutQuotingTheSecret() throws Exception {
        Path file = Files.writeString(dir.resolve("config.json"), "{\"auths\":{\"r.example.org\":{\"auth\":\"" + PASSWORD
                + "\"\n  oops}}}");
        assertThatThrownBy(() -> PullSecret.open(file, dir)).isInstanceOf(UserError.class)
                .hasMessageContaining("is not valid JSON (line 2)")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD, "oops"));
        try (var left = Files.list(dir)) {
            assertThat(left).containsExactly(file);
        }
    }

    @Test
    void entriesWithoutUsableCredentialsAreRefusedWithoutShowingThem() throws Exception {
        Path notBase64 = Files.writeString(dir.resolve("a.json"), "{\"auths\":{\"r.example.org\":{\"auth\":\"" + PASSWORD + "!\"}}}");
        assertThatThrownBy(() -> PullSecret.open(notBase64, dir)).hasMessageContaining("entry for r.example.org, has an auth"
                + " that is not base64").satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD));
        Path noPassword = Files.writeString(dir.resolve("b.json"), "{\"auths\":{\"r.example.org\":{\"username\":\"u\"}}}");
        assertThatThrownBy(() -> PullSecret.open(noPassword, dir)).hasMessageContaining("has neither auth nor username and password");
        Path empty = Files.writeString(dir.resolve("c.json"), "{\"auths\":{}}");
        assertThatThrownBy(() -> PullSecret.open(empty, dir)).hasMessageContaining("names no registry");
    }

    @Test
    void aSecretWithTheWrongKeysSaysHowToMakeOne() throws Exception {
        Path mounted = Files.createDirectories(dir.resolve("opaque"));
        Files.writeString(mounted.resolve("password"), PASSWORD);
        assertThatThrownBy(() -> PullSecret.open(mounted, dir)).isInstanceOf(UserError.class)
                .hasMessageContaining("holds none of .dockerconfigjson, .dockercfg, config.json")
                .hasMessageContaining("kubectl create secret docker-registry");
        assertThatThrownBy(() -> PullSecret.open(dir.resolve("missing"), dir)).hasMessageContaining("does not exist");
    }
}

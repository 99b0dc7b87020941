package dev.tether.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The CRD YAML committed under crds/ is exactly what the Java classes generate. */
class CrdYamlUpToDateTest {

    @Test
    void committedYamlMatchesTheClasses() throws IOException {
        Path committed = CrdManifests.repositoryRoot().resolve(CrdManifests.COMMITTED_DIR);
        if (Boolean.getBoolean("tether.writeCrds")) {
            CrdManifests.write(committed);
        }
        var generated = CrdManifests.generate();
        assertThat(generated).hasSize(CrdManifests.RESOURCES.size());
        try (Stream<Path> files = Files.list(committed)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yml")))
                    .as("CRD files under crds/")
                    .containsExactlyInAnyOrderElementsOf(generated.keySet());
        }
        for (var file : generated.entrySet()) {
            assertThat(Files.readString(committed.resolve(file.getKey())))
                    .as("crds/%s is out of date with the Java classes: run ./mvnw -pl crds test -Dtether.writeCrds=true and commit", file.getKey())
                    .isEqualTo(file.getValue());
        }
    }
}

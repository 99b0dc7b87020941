package dev.tether.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The chart ships exactly the CRDs that crds/ generates from the Java API classes. */
class ChartCrdsTest {
    private static final Path GENERATED = Path.of("..", "crds").toAbsolutePath().normalize();
    private static final Path IN_CHART = TetherChart.DIRECTORY.resolve("crds");
    private static final String HOW_TO_FIX =
            "run ./mvnw -pl helm generate-resources, delete files under helm/tether/crds that crds/ no longer has, and commit helm/tether/crds";

    @Test
    void chartCrdsAreByteForByteTheGeneratedOnes() throws IOException {
        List<String> generated = fileNames(GENERATED, ".yml");
        assertThat(generated).as("CRD files generated under crds/").isNotEmpty();

        assertThat(fileNames(IN_CHART, ""))
                .as("files under helm/tether/crds differ from crds/*.yml: " + HOW_TO_FIX)
                .containsExactlyInAnyOrderElementsOf(generated);
        for (String name : generated) {
            assertThat(Files.mismatch(IN_CHART.resolve(name), GENERATED.resolve(name)))
                    .as("helm/tether/crds/%s differs from crds/%s (-1 means identical, else the first differing byte): %s",
                            name, name, HOW_TO_FIX)
                    .isEqualTo(-1L);
        }
    }

    /**
     * What `helm install` applies from crds/. helm-java's template has no --include-crds, so this asks
     * `helm show crds`, which loads the same files. Helm prints them one after the other with no "---"
     * between files, so a document boundary is put back before each top-level apiVersion.
     */
    @Test
    void helmInstallsTheThreeTetherCrds() throws IOException {
        String shown = new Helm(TetherChart.DIRECTORY).show().crds().call();
        RenderedChart crds = new RenderedChart(shown.replaceAll("(?m)^apiVersion:", "---\napiVersion:"));

        assertThat(crds.all(CustomResourceDefinition.class))
                .extracting(crd -> crd.getMetadata().getName())
                .containsExactlyInAnyOrderElementsOf(crdNamesIn(GENERATED));
        assertThat(crds.all(CustomResourceDefinition.class))
                .allSatisfy(crd -> {
                    assertThat(crd.getSpec().getGroup()).isEqualTo("tether.dev");
                    assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
                });
        assertThat(crds.objects()).as("nothing but CRDs under crds/").hasSameSizeAs(crds.all(CustomResourceDefinition.class));
    }

    /** Templates must not also carry the CRDs: Helm would then own and delete them on uninstall, with every resource. */
    @Test
    void templatesDoNotRenderCrds() {
        assertThat(TetherChart.render().all(CustomResourceDefinition.class)).isEmpty();
    }

    private static List<String> crdNamesIn(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".yml"))
                    .map(ChartCrdsTest::read)
                    .map(yaml -> new RenderedChart(yaml).all(CustomResourceDefinition.class).get(0).getMetadata().getName())
                    .toList();
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> fileNames(Path dir, String suffix) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile)
                    .map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(suffix))
                    .sorted()
                    .toList();
        }
    }
}

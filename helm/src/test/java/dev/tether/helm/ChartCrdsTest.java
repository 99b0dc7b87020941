package dev.tether.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The chart ships exactly the CRDs that crds/ generates from the Java API classes, as templates that {@code helm
 * upgrade} upgrades (behind crds.enabled), kept on uninstall unless crds.keep is off.
 */
class ChartCrdsTest {
    private static final Path GENERATED = Path.of("..", "crds").toAbsolutePath().normalize();
    private static final Path IN_CHART = TetherChart.DIRECTORY.resolve("files/crds");
    private static final String HOW_TO_FIX =
            "run ./mvnw -pl helm generate-resources, delete files under helm/tether/files/crds that crds/ no longer has, and commit them";

    @Test
    void chartCrdsAreByteForByteTheGeneratedOnes() throws IOException {
        List<String> generated = fileNames(GENERATED, ".yml");
        assertThat(generated).as("CRD files generated under crds/").isNotEmpty();

        assertThat(fileNames(IN_CHART, ""))
                .as("files under helm/tether/files/crds differ from crds/*.yml: " + HOW_TO_FIX)
                .containsExactlyInAnyOrderElementsOf(generated);
        for (String name : generated) {
            assertThat(Files.mismatch(IN_CHART.resolve(name), GENERATED.resolve(name)))
                    .as("helm/tether/files/crds/%s differs from crds/%s (-1 means identical, else the first differing byte): %s",
                            name, name, HOW_TO_FIX)
                    .isEqualTo(-1L);
        }
    }

    /** The CRDs render as they were generated, owned by the release, and marked to survive its uninstall. */
    @Test
    void theTemplatesRenderTheGeneratedCrdsKeptOnUninstall() throws IOException {
        var crds = TetherChart.render().all(CustomResourceDefinition.class);

        assertThat(crds).extracting(crd -> crd.getMetadata().getName()).containsExactlyInAnyOrderElementsOf(crdNamesIn(GENERATED));
        for (var crd : crds) {
            assertThat(crd.getMetadata().getAnnotations()).containsEntry("helm.sh/resource-policy", "keep");
            assertThat(crd.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "Helm");
            var generated = new RenderedChart(read(GENERATED.resolve(crd.getMetadata().getName() + "-v1.yml")))
                    .all(CustomResourceDefinition.class).get(0);
            assertThat(crd.getSpec()).as("%s as generated", crd.getMetadata().getName()).isEqualTo(generated.getSpec());
        }
    }

    @Test
    void crdsCanBeLeftToSomethingElseOrLeftUnkept() throws IOException {
        assertThat(TetherChart.render("crds: {enabled: false}").all(CustomResourceDefinition.class)).isEmpty();
        assertThat(TetherChart.render("crds: {keep: false}").all(CustomResourceDefinition.class)).hasSize(crdNamesIn(GENERATED).size())
                .allSatisfy(crd -> assertThat(crd.getMetadata().getAnnotations()).doesNotContainKey("helm.sh/resource-policy"));
    }

    /** Nothing in the chart's crds/ folder: Helm would install those once and never upgrade them, and clash with the templates. */
    @Test
    void theChartHasNoCrdsFolder() {
        assertThat(TetherChart.DIRECTORY.resolve("crds")).doesNotExist();
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

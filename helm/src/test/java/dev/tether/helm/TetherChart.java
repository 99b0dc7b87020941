package dev.tether.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The chart under test, rendered with real Helm (helm-java's bundled native library). */
final class TetherChart {
    /** Surefire runs in the module's folder, where the chart lives. */
    static final Path DIRECTORY = Path.of("tether").toAbsolutePath();
    static final String RELEASE = "tether";
    static final String NAMESPACE = "tether-system";
    /** The lowest Kubernetes version the chart supports (Chart.yaml's kubeVersion). */
    static final String KUBE_VERSION = "1.29.0";

    private TetherChart() {}

    /** Renders with the default values, CRDs included. */
    static RenderedChart render() {
        return new RenderedChart(template().call());
    }

    /**
     * Renders with {@code valuesYaml} on top of the defaults, as {@code helm template -f} would.
     * Overrides are written as YAML so that a test reads like the values file a user writes.
     */
    static RenderedChart render(String valuesYaml) {
        return new RenderedChart(renderRaw(valuesYaml));
    }

    /** The raw output of {@code helm template}; throws {@link IllegalStateException} with Helm's message on failure. */
    static String renderRaw(String valuesYaml) {
        Path values = null;
        try {
            values = Files.createTempFile("tether-values-", ".yaml");
            Files.writeString(values, valuesYaml);
            return template().withValuesFile(values).call();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteQuietly(values);
        }
    }

    private static TemplateCommand template() {
        return new Helm(DIRECTORY).template()
                .withName(RELEASE)
                .withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION);
    }

    private static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a temp file left behind is harmless
        }
    }
}

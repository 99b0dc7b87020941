package dev.tether.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** The chart's own defaults (values.yaml) and metadata (Chart.yaml), read as the user sees them. */
final class ChartDefaults {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private ChartDefaults() {}

    /** A value from values.yaml by JSON pointer, e.g. {@code /origin/storage/size}. */
    static JsonNode value(String pointer) {
        JsonNode node = read("values.yaml").at(pointer);
        if (node.isMissingNode()) {
            throw new IllegalArgumentException("values.yaml has no " + pointer);
        }
        return node;
    }

    static String text(String pointer) {
        return value(pointer).asText();
    }

    static String appVersion() {
        return read("Chart.yaml").path("appVersion").asText();
    }

    /** The image reference the chart should render for an image block of values.yaml, e.g. {@code /operator/image}. */
    static String image(String pointer) {
        JsonNode image = value(pointer);
        String tag = image.path("tag").asText();
        return image.path("repository").asText() + ":" + (tag.isEmpty() ? appVersion() : tag);
    }

    private static JsonNode read(String file) {
        try {
            return YAML.readTree(TetherChart.DIRECTORY.resolve(file).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + Path.of("tether", file), e);
        }
    }
}

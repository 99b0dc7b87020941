package dev.tether.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The chart's README documents the values that exist, and only those. */
class ChartReadmeTest {
    private static final Pattern ROW = Pattern.compile("(?m)^\\| `([A-Za-z0-9_.]+)` \\|");

    @Test
    void everyDocumentedValueExistsAndEverySectionIsDocumented() throws Exception {
        JsonNode values = new ObjectMapper(new YAMLFactory()).readTree(TetherChart.DIRECTORY.resolve("values.yaml").toFile());
        String readme = Files.readString(TetherChart.DIRECTORY.resolve("README.md"));
        var documented = new ArrayList<String>();
        ROW.matcher(readme).results().forEach(m -> documented.add(m.group(1)));
        assertThat(documented).as("values rows in README.md").isNotEmpty();
        for (String path : documented) {
            assertThat(values.at("/" + path.replace('.', '/')).isMissingNode()).as("README.md documents %s, which values.yaml lacks", path).isFalse();
        }
        for (String path : twoLevels(values)) {
            assertThat(documented).as("README.md says nothing of %s", path).anyMatch(d -> d.equals(path) || d.startsWith(path + "."));
        }
    }

    private static List<String> twoLevels(JsonNode values) {
        var paths = new ArrayList<String>();
        values.properties().forEach(top -> {
            if (top.getValue().isObject() && !top.getValue().isEmpty()) {
                top.getValue().properties().forEach(second -> paths.add(top.getKey() + "." + second.getKey()));
            } else {
                paths.add(top.getKey());
            }
        });
        return paths;
    }
}

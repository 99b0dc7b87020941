package dev.tether.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `helm lint --strict`: the chart is well-formed, and lint really does complain about a broken copy. */
class LintTest {

    @Test
    void chartPassesStrictLintWithoutErrorsOrWarnings() {
        LintResult lint = new Helm(TetherChart.DIRECTORY).lint().strict().call();

        assertThat(lint.getMessages())
                .as("helm lint --strict messages")
                .noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
        assertThat(lint.isFailed()).as("helm lint --strict failed: %s", lint.getMessages()).isFalse();
    }

    @Test
    void lintRejectsDefaultsThatBreakTheSchema(@TempDir Path work) throws IOException {
        Path copy = copyOfChart(work);
        Path values = copy.resolve("values.yaml");
        Files.writeString(values, Files.readString(values).replace("size: 100Gi", "size: lots"));

        LintResult lint = new Helm(copy).lint().strict().call();

        assertThat(lint.isFailed()).isTrue();
        assertThat(lint.getMessages()).anyMatch(m -> m.contains("[ERROR]") && m.contains("lots"));
    }

    private static Path copyOfChart(Path work) throws IOException {
        Path copy = work.resolve("tether");
        try (Stream<Path> files = Files.walk(TetherChart.DIRECTORY)) {
            for (Path source : files.toList()) {
                Path target = copy.resolve(TetherChart.DIRECTORY.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        return copy;
    }
}

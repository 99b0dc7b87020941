package dev.tether.content;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The content server's logback.xml as the chart's logging values set it (TETHER_LOG_FORMAT, TETHER_LOG_LEVEL). */
class LogFormatTest {

    @Test
    void jsonGivesOneObjectPerLine() throws Exception {
        String err = logWith("json", "INFO");
        var line = new ObjectMapper().readTree(err.lines().filter(l -> l.contains("served")).findFirst().orElseThrow());
        assertThat(line.path("level").asText()).isEqualTo("INFO");
        assertThat(line.path("formattedMessage").asText()).isEqualTo("served /blobs/sha256/aa");
        assertThat(err).doesNotContain("debug detail");
    }

    @Test
    void textIsTheDefaultAndTheLevelIsSettable() throws Exception {
        String err = logWith("text", "DEBUG");
        assertThat(err).contains("INFO  test - served /blobs/sha256/aa").contains("debug detail");
    }

    private static String logWith(String format, String level) throws Exception {
        var context = new LoggerContext();
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        var captured = new ByteArrayOutputStream();
        PrintStream stderr = System.err;
        System.setProperty("TETHER_LOG_FORMAT", format);
        System.setProperty("TETHER_LOG_LEVEL", level);
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            var configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(LogFormatTest.class.getResource("/logback.xml"));
            var logger = context.getLogger("test");
            logger.info("served {}", "/blobs/sha256/aa");
            logger.debug("debug detail");
            context.stop();
        } finally {
            System.setErr(stderr);
            System.clearProperty("TETHER_LOG_FORMAT");
            System.clearProperty("TETHER_LOG_LEVEL");
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}

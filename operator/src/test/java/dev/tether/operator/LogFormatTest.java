package dev.tether.operator;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The operator's logback.xml as the chart's logging values set it (TETHER_LOG_FORMAT, TETHER_LOG_LEVEL). */
class LogFormatTest {

    @Test
    void jsonGivesOneObjectPerLine() throws Exception {
        String out = logWith("json", "INFO");
        var line = new ObjectMapper().readTree(out.lines().filter(l -> l.contains("reconciled")).findFirst().orElseThrow());
        assertThat(line.path("level").asText()).isEqualTo("INFO");
        assertThat(line.path("loggerName").asText()).isEqualTo("dev.tether.test");
        assertThat(line.path("formattedMessage").asText()).isEqualTo("reconciled hpc/bookworm");
        assertThat(line.has("timestamp")).isTrue();
        assertThat(out).doesNotContain("debug detail");
    }

    @Test
    void textIsTheDefaultAndTheLevelIsSettable() throws Exception {
        String out = logWith("text", "DEBUG");
        assertThat(out).contains("INFO  dev.tether.test - reconciled hpc/bookworm").contains("debug detail");
    }

    private static String logWith(String format, String level) throws Exception {
        var context = new LoggerContext();
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        var captured = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        System.setProperty("TETHER_LOG_FORMAT", format);
        System.setProperty("TETHER_LOG_LEVEL", level);
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            var configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(LogFormatTest.class.getResource("/logback.xml"));
            var logger = context.getLogger("dev.tether.test");
            logger.info("reconciled {}/{}", "hpc", "bookworm");
            logger.debug("debug detail");
            context.stop();
        } finally {
            System.setOut(stdout);
            System.clearProperty("TETHER_LOG_FORMAT");
            System.clearProperty("TETHER_LOG_LEVEL");
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}

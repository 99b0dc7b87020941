package dev.tether.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.tether.content.cli.ContentServerCli;
import dev.tether.operator.OperatorConfig;
import io.fabric8.kubernetes.api.model.EnvVar;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The edge DaemonSet's arguments and environment are ones the content server understands. */
class EdgeCommandContractTest {

    @Test
    void theContentServerAcceptsTheEdgeArguments() {
        var config = OperatorConfig.of("builder", "content-server", "http://origin:8080", "tether-system");
        var daemonSet = EdgeDaemonSet.build(NodeProfileReconcilerTest.profile("compute", "bookworm"), config);
        var args = daemonSet.getSpec().getTemplate().getSpec().getContainers().getFirst().getArgs().toArray(String[]::new);

        var parsed = new CommandLine(new ContentServerCli()).parseArgs(args);

        assertThat(parsed.subcommand()).isNotNull();
        assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("edge");
        assertThat(parsed.subcommand().unmatched()).isEmpty();
        assertThat(parsed.subcommand().matchedOptionValue("--quota", 0L)).as("20Gi in bytes").isEqualTo(20L << 30);
    }

    @Test
    void edgesSendThePROXYHeaderExactlyWhenTheNodeApiTrustsEdges() {
        var plain = OperatorConfig.of("builder", "content-server", "http://origin:8080", "tether-system");
        var trusting = plain.withNodeApi(plain.nodeApi().withTrustedProxies(List.of("10.0.0.0/8")));

        var withHeader = new CommandLine(new ContentServerCli()).parseArgs(args(trusting));
        var without = new CommandLine(new ContentServerCli()).parseArgs(args(plain));

        assertThat(withHeader.subcommand().matchedOptionValue("--node-api-proxy-protocol", false)).isTrue();
        assertThat(without.subcommand().matchedOptionValue("--node-api-proxy-protocol", false)).isFalse();
    }

    @Test
    void edgesLogInTheFormatAndAtTheLevelTheOperatorWasGiven() throws Exception {
        var config = OperatorConfig.fromEnvironment(Map.of("TETHER_LOG_FORMAT", "json", "TETHER_LOG_LEVEL", "debug"));
        var env = EdgeDaemonSet.build(NodeProfileReconcilerTest.profile("compute", "bookworm"), config)
                .getSpec().getTemplate().getSpec().getContainers().getFirst().getEnv();

        assertThat(env).extracting(EnvVar::getName, EnvVar::getValue)
                .contains(tuple("TETHER_LOG_FORMAT", "json"), tuple("TETHER_LOG_LEVEL", "DEBUG"));
        // ... and those are the variables the content server's logging configuration reads.
        assertThat(contentServerLogback()).contains("${TETHER_LOG_FORMAT:-text}", "${TETHER_LOG_LEVEL:-INFO}");
    }

    @Test
    void anUnknownLogFormatOrLevelStopsTheOperatorWithAClearMessage() {
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("TETHER_LOG_FORMAT", "xml")))
                .hasMessage("TETHER_LOG_FORMAT must be text or json, not 'xml'");
        assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("TETHER_LOG_LEVEL", "loud")))
                .hasMessageContaining("TETHER_LOG_LEVEL must be one of");
    }

    /** The content server's own logback.xml (the operator has one of its own on the same class path). */
    private static String contentServerLogback() throws Exception {
        Path location = Path.of(ContentServerCli.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (Files.isDirectory(location)) {
            return Files.readString(location.resolve("logback.xml"));
        }
        try (JarFile jar = new JarFile(location.toFile())) {
            return new String(jar.getInputStream(jar.getEntry("logback.xml")).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String[] args(OperatorConfig config) {
        return EdgeDaemonSet.build(NodeProfileReconcilerTest.profile("compute", "bookworm"), config)
                .getSpec().getTemplate().getSpec().getContainers().getFirst().getArgs().toArray(String[]::new);
    }
}

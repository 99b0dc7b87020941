package dev.tether.operator.profile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.content.cli.ContentServerCli;
import dev.tether.operator.OperatorConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The edge DaemonSet's arguments are ones the content server's own CLI accepts. */
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
        var trusting = plain.withNodeApi(plain.nodeApi().withTrustedProxies(java.util.List.of("10.0.0.0/8")));

        var withHeader = new CommandLine(new ContentServerCli()).parseArgs(args(trusting));
        var without = new CommandLine(new ContentServerCli()).parseArgs(args(plain));

        assertThat(withHeader.subcommand().matchedOptionValue("--node-api-proxy-protocol", false)).isTrue();
        assertThat(without.subcommand().matchedOptionValue("--node-api-proxy-protocol", false)).isFalse();
    }

    private static String[] args(OperatorConfig config) {
        return EdgeDaemonSet.build(NodeProfileReconcilerTest.profile("compute", "bookworm"), config)
                .getSpec().getTemplate().getSpec().getContainers().getFirst().getArgs().toArray(String[]::new);
    }
}

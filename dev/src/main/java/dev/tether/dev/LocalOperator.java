package dev.tether.dev;

import dev.tether.local.InMemoryKubernetes;
import dev.tether.operator.OperatorConfig;
import dev.tether.operator.TetherOperator;
import dev.tether.operator.nodeapi.NodeApiServer;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;

/**
 * The operator as the chart installs it, on an {@link InMemoryKubernetes} instead of a cluster, with the
 * origin's upload token in the Secret where the chart keeps it.
 */
final class LocalOperator implements AutoCloseable {
    static final String OPERATOR_NAMESPACE = "tether-system";
    /** Image names the operator puts into Jobs and DaemonSets; nothing pulls them here. */
    private static final String BUILDER_IMAGE = "tether.local/builder:dev";
    private static final String CONTENT_SERVER_IMAGE = "tether.local/content-server:dev";

    private final InMemoryKubernetes kubernetes;
    private final TetherOperator operator;

    private LocalOperator(InMemoryKubernetes kubernetes, TetherOperator operator) {
        this.kubernetes = kubernetes;
        this.operator = operator;
    }

    static LocalOperator start(Path project, String originUrl, String originToken) {
        InMemoryKubernetes kubernetes = InMemoryKubernetes.start(project.resolve("crds"));
        try {
            kubernetes.client().resource(new SecretBuilder()
                    .withNewMetadata().withName("tether-origin-token").withNamespace(OPERATOR_NAMESPACE).endMetadata()
                    .addToData(OperatorConfig.ORIGIN_TOKEN_KEY,
                            Base64.getEncoder().encodeToString(originToken.getBytes(StandardCharsets.UTF_8)))
                    .build()).create();
            var operator = new TetherOperator(kubernetes.client(),
                    OperatorConfig.of(BUILDER_IMAGE, CONTENT_SERVER_IMAGE, originUrl, OPERATOR_NAMESPACE));
            operator.start();
            return new LocalOperator(kubernetes, operator);
        } catch (RuntimeException e) {
            kubernetes.close();
            throw e;
        }
    }

    KubernetesClient client() {
        return kubernetes.client();
    }

    /** The node API on a free loopback port; stopped with the operator. */
    NodeApiServer startNodeApi() throws IOException {
        return operator.startNodeApi(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @Override
    public void close() {
        operator.close();
        kubernetes.close();
    }
}

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
    /** The operator's persistence volume: the nodes' encrypted archives of their kept paths. */
    final Path persistenceDir;

    private LocalOperator(InMemoryKubernetes kubernetes, TetherOperator operator, Path persistenceDir) {
        this.kubernetes = kubernetes;
        this.operator = operator;
        this.persistenceDir = persistenceDir;
    }

    /** @param persistenceDir where the nodes' archives go (the chart's PersistentVolumeClaim) */
    static LocalOperator start(Path project, String originUrl, String originToken, Path persistenceDir) {
        InMemoryKubernetes kubernetes = InMemoryKubernetes.start(project.resolve("crds"));
        try {
            kubernetes.client().resource(new SecretBuilder()
                    .withNewMetadata().withName("tether-origin-token").withNamespace(OPERATOR_NAMESPACE).endMetadata()
                    .addToData(OperatorConfig.ORIGIN_TOKEN_KEY,
                            Base64.getEncoder().encodeToString(originToken.getBytes(StandardCharsets.UTF_8)))
                    .build()).create();
            OperatorConfig config = OperatorConfig.of(BUILDER_IMAGE, CONTENT_SERVER_IMAGE, originUrl, OPERATOR_NAMESPACE);
            config = config.withNodeApi(config.nodeApi().withPersistence(config.nodeApi().persistence().withDirectory(persistenceDir)));
            var operator = new TetherOperator(kubernetes.client(), config);
            operator.start();
            return new LocalOperator(kubernetes, operator, persistenceDir);
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

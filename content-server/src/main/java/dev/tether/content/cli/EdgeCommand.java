package dev.tether.content.cli;

import dev.tether.content.edge.EdgeServer;
import dev.tether.content.edge.FillSettings;
import dev.tether.content.store.BearerToken;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "edge", mixinStandardHelpOptions = true,
        description = "Serve nodes from a pull-through cache of the origin; relay the node API.")
final class EdgeCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--cache", required = true, description = "Cache directory.")
    Path cache;

    @Option(names = "--quota", required = true, converter = UnitConverters.ByteSize.class, description = "Cache size limit, e.g. 200Gi (binary) or 200G (decimal).")
    long quota;

    @Option(names = "--origin", required = true, description = "Origin base URL, e.g. http://tether-origin:8080.")
    String origin;

    @Option(names = "--peers", split = ",", description = "Other edges' base URLs, comma-separated; tried when the origin fails.")
    List<String> peers = new ArrayList<>();

    @Option(names = "--origin-ca", description = "PEM CA certificate(s) to trust for https origins and peers.")
    Path originCa;

    @Option(names = "--api-port", description = "Port on which nodes reach the node API through this edge.")
    Integer apiPort;

    @Option(names = "--node-api", description = "The operator's node API as HOST:PORT; required with --api-port.")
    String nodeApi;

    @Option(names = "--node-api-proxy-protocol", description = "Start each relayed connection with a PROXY protocol v2 header"
            + " naming the node, so the node API limits failures per node address; the node API must trust this edge's address.")
    boolean nodeApiProxyProtocol;

    @Option(names = "--boot-config", description = "Boot configuration JSON (mounted from the operator's ConfigMap).")
    Path bootConfig;

    @Option(names = "--boot-config-poll", defaultValue = "2s", converter = UnitConverters.Time.class,
            description = "How often to look for a changed boot configuration (default: ${DEFAULT-VALUE}).")
    Duration bootConfigPoll;

    @Option(names = "--fill-connect-timeout", defaultValue = "5s", converter = UnitConverters.Time.class)
    Duration fillConnect;

    @Option(names = "--fill-header-timeout", defaultValue = "30s", converter = UnitConverters.Time.class)
    Duration fillHeader;

    @Option(names = "--fill-stall-timeout", defaultValue = "30s", converter = UnitConverters.Time.class,
            description = "Abandon a source that sends nothing for this long (default: ${DEFAULT-VALUE}).")
    Duration fillStall;

    @Option(names = "--fill-peer-min-rate", defaultValue = "1Mi", converter = UnitConverters.ByteSize.class,
            description = "Give up a peer's answer that falls below this many bytes a second on average, after the stall"
                    + " timeout's grace (default: ${DEFAULT-VALUE}): a peer is another edge, and a trickle would hold the fill.")
    long fillPeerMinRate;

    @Option(names = "--prefetch-token-file",
            description = "File holding the bearer token POST /prefetch needs (a mounted Secret); without it, prefetch requests are refused.")
    Path prefetchTokenFile;

    @Option(names = "--api-idle-timeout", defaultValue = "10m", converter = UnitConverters.Time.class)
    Duration apiIdle;

    @Override
    public Integer call() throws Exception {
        InetSocketAddress apiBind = null;
        InetSocketAddress target = null;
        if (apiPort != null) {
            if (nodeApi == null) {
                throw new IllegalArgumentException("--api-port needs --node-api HOST:PORT to relay to");
            }
            apiBind = common.address(apiPort);
            target = hostPort(nodeApi);
        }
        if (quota <= 0) {
            throw new IllegalArgumentException("--quota must be positive");
        }
        FillSettings fill = new FillSettings(fillConnect, fillHeader, fillStall, fillPeerMinRate,
                originCa == null ? null : trusting(originCa));
        EdgeServer server = EdgeServer.start(new EdgeServer.Config(cache, quota, origin, peers, common.address(common.port),
                apiBind, target, bootConfig, bootConfigPoll, common.tls(), common.http(), fill, apiIdle, common.ioThreads,
                prefetchTokenFile == null ? null : BearerToken.fromFile(prefetchTokenFile), InstantSource.system(),
                nodeApiProxyProtocol));
        return ContentServerCli.runUntilStopped(server.runtime(), common.grace);
    }

    private static InetSocketAddress hostPort(String s) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--node-api must be HOST:PORT, got " + s);
        }
        try {
            int port = Integer.parseInt(s.substring(colon + 1));
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
            return InetSocketAddress.createUnresolved(s.substring(0, colon), port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--node-api must be HOST:PORT, got " + s);
        }
    }

    private static SSLContext trusting(Path pem) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(pem)) {
            int i = 0;
            for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("ca-" + i++, (X509Certificate) cert);
            }
            if (i == 0) {
                throw new IOException("no certificate in " + pem);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}

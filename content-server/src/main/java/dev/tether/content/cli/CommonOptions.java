package dev.tether.content.cli;

import dev.tether.content.http.HttpSettings;
import dev.tether.content.server.TlsContexts;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** The options both roles share: where to listen, TLS, timeouts, shutdown. */
final class CommonOptions {
    @Option(names = "--port", defaultValue = "8080", description = "HTTP(S) port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--bind", defaultValue = "0.0.0.0", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--tls-cert", description = "PEM certificate chain; with --tls-key, serve HTTPS.")
    Path tlsCert;

    @Option(names = "--tls-key", description = "PEM PKCS#8 private key for --tls-cert.")
    Path tlsKey;

    @Option(names = "--grace-period", defaultValue = "30s", converter = UnitConverters.Time.class,
            description = "On SIGTERM, how long in-flight responses may take to finish (default: ${DEFAULT-VALUE}).")
    Duration grace;

    @Option(names = "--request-head-timeout", defaultValue = "30s", converter = UnitConverters.Time.class,
            description = "Time for a complete request head, and keep-alive idle time (default: ${DEFAULT-VALUE}).")
    Duration headTimeout;

    @Option(names = "--body-timeout", defaultValue = "30s", converter = UnitConverters.Time.class,
            description = "Longest pause inside a request body (default: ${DEFAULT-VALUE}).")
    Duration bodyTimeout;

    @Option(names = "--send-timeout", defaultValue = "60s", converter = UnitConverters.Time.class,
            description = "Longest pause in a response's progress before the connection is cut (default: ${DEFAULT-VALUE}).")
    Duration sendTimeout;

    @Option(names = "--io-threads", defaultValue = "0", description = "Event loop threads; 0 for one per core.")
    int ioThreads;

    InetSocketAddress address(int p) {
        if (p < 0 || p > 65535) {
            throw new ParameterException(new picocli.CommandLine(this), "port " + p + " is out of range");
        }
        return new InetSocketAddress(bind, p);
    }

    HttpSettings http() {
        return HttpSettings.defaults().withTimeouts(headTimeout, bodyTimeout, sendTimeout);
    }

    SslContext tls() throws IOException {
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        return tlsCert == null ? null : TlsContexts.server(tlsCert, tlsKey);
    }
}

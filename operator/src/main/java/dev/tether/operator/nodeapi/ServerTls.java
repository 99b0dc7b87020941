package dev.tether.operator.nodeapi;

import dev.tether.operator.trust.ClusterCa;
import dev.tether.operator.trust.ServerIdentity;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node API's TLS context: a server certificate from the cluster CA, held in memory only and issued
 * again once a third of its validity is left, so a long-running operator never serves an expired one.
 * TLS 1.3 and 1.2 only, with OpenSSL (BoringSSL, netty-tcnative) where it loads and the JDK's provider otherwise: in a
 * boot storm of 500 nodes the JDK's handshakes were nine tenths of the node API's event loops' CPU, more than all its
 * handlers'.
 */
final class ServerTls {
    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);
    static final SslProvider PROVIDER = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;

    private final ClusterCa ca;
    private final List<String> dnsNames;
    private final Duration validity;
    private final Clock clock;
    private SslContext context;
    private ServerIdentity identity;

    ServerTls(ClusterCa ca, List<String> dnsNames, Duration validity, Clock clock) {
        this.ca = ca;
        this.dnsNames = dnsNames;
        this.validity = validity;
        this.clock = clock;
    }

    synchronized SslContext current() {
        if (context == null || clock.instant().isAfter(identity.notAfter().minus(validity.dividedBy(3)))) {
            identity = ca.issueServerCertificate(dnsNames, validity);
            try {
                context = SslContextBuilder.forServer(identity.privateKey(), identity.certificate(), identity.ca())
                        .sslProvider(PROVIDER)
                        .protocols("TLSv1.3", "TLSv1.2")
                        .build();
            } catch (SSLException e) {
                throw new IllegalStateException("cannot set up TLS for the node API: " + e.getMessage(), e);
            }
            LOG.info("node API server certificate issued for {} until {} (TLS by {})", dnsNames, identity.notAfter(), PROVIDER);
        }
        return context;
    }
}

package dev.tether.content.server;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import javax.net.ssl.SSLException;

/** The server's TLS context from PEM files: OpenSSL (netty-tcnative) when it loads, else the JDK. */
public final class TlsContexts {
    private TlsContexts() {
    }

    public static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /**
     * @param key a PKCS#8 PEM private key ({@code BEGIN PRIVATE KEY}); convert a PKCS#1 key with
     *            {@code openssl pkcs8 -topk8 -nocrypt}
     */
    public static SslContext server(Path certChain, Path key) throws SSLException {
        try {
            return SslContextBuilder.forServer(certChain.toFile(), key.toFile()).sslProvider(provider()).build();
        } catch (IllegalArgumentException e) {
            throw new SSLException("cannot read the TLS certificate " + certChain + " or key " + key + ": " + e.getMessage(), e);
        }
    }
}

package dev.tether.agent.image;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * TLS for HTTPS edges: the Java runtime's default trust (its {@code cacerts}), as the JDK's HTTP client has without a
 * context of its own, but loaded when a handshake first needs it. Built without one, the client asks for the default
 * context the moment it is made, which loads and parses the whole trust store: 0.3 to 0.4 s of the agent's start on
 * an emulated CPU (qemu-x86_64, 2026-12-05), paid by every boot whose edges speak plain HTTP and never use it. The
 * checks are the default's own: the trust manager it defers to gets every call, with the engine, so the client's
 * host name check (endpoint identification) is made as before.
 */
public final class EdgeTls {
    private EdgeTls() {
    }

    /** A new context whose trust is the runtime's default, loaded at its first handshake. */
    public static SSLContext context() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new DeferredDefaultTrust()}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java runtime has no TLS: " + e.getMessage(), e);
        }
    }

    private static final class DeferredDefaultTrust extends X509ExtendedTrustManager {
        private X509ExtendedTrustManager loaded;

        private synchronized X509ExtendedTrustManager trust() throws CertificateException {
            if (loaded == null) {
                try {
                    TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                    factory.init((KeyStore) null);
                    for (TrustManager manager : factory.getTrustManagers()) {
                        if (manager instanceof X509ExtendedTrustManager x509) {
                            loaded = x509;
                            break;
                        }
                    }
                } catch (GeneralSecurityException e) {
                    throw new CertificateException("the Java runtime's trust store cannot be read: " + e.getMessage(), e);
                }
                if (loaded == null) {
                    throw new CertificateException("the Java runtime has no X.509 trust manager");
                }
            }
            return loaded;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            trust().checkServerTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            trust().checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            trust().checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            trust().checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            trust().checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            trust().checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            try {
                return trust().getAcceptedIssuers();
            } catch (CertificateException e) {
                return new X509Certificate[0];
            }
        }
    }
}

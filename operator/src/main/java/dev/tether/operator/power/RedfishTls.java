package dev.tether.operator.power;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The HTTPS client a Redfish BMC is reached with. BMCs mostly carry certificates of their own making: the administrator
 * gives the CA that signed it ({@code ca.crt} in the credentials Secret), and the certificate must then also name the
 * address the operator uses. Skipping verification altogether is possible only when the NodeCredential says so.
 */
public final class RedfishTls {
    private RedfishTls() {}

    /**
     * @param caPem PEM certificates to trust, or null for the JVM's default trust store
     * @param insecure trust any certificate for any name (a lab without a CA)
     */
    public static HttpClient client(String caPem, boolean insecure, Duration connectTimeout) throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        if (insecure) {
            context.init(null, new TrustManager[] {new TrustingAnything()}, new SecureRandom());
        } else if (caPem != null && !caPem.isBlank()) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            try {
                store.load(null, null);
            } catch (IOException e) {
                throw new GeneralSecurityException("cannot make an empty trust store", e);
            }
            int index = 0;
            for (var certificate : CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII)))) {
                store.setCertificateEntry("bmc-ca-" + index++, certificate);
            }
            if (index == 0) {
                throw new GeneralSecurityException("ca.crt holds no PEM certificate");
            }
            var factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            context.init(null, factory.getTrustManagers(), new SecureRandom());
        } else {
            context = SSLContext.getDefault();
        }
        // No redirects: a BMC that redirects would take the Authorization header (the password) with it.
        return HttpClient.newBuilder().sslContext(context).connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /**
     * Trusts every certificate and, being an extended trust manager that checks nothing, every host name too (the JDK
     * checks the name in the trust manager, so this is the one place to switch it off for one client only).
     */
    private static final class TrustingAnything extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}

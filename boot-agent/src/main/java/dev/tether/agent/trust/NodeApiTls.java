package dev.tether.agent.trust;

import dev.tether.agent.BootConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * TLS to the node API. A node dials an edge's pass-through port by address, so the usual HTTPS check (the
 * certificate names the host dialled) cannot hold; instead the server's chain must lead to the cluster CA
 * from the addon archive, and the certificate must name {@code tether-node-api}. Nothing else is trusted:
 * not the JDK's CA certificates, and not the address dialled.
 *
 * <p>This is an {@link X509ExtendedTrustManager}: JSSE then leaves the endpoint identification to it
 * instead of checking the dialled address itself, so the JDK HTTP client's HTTPS host check never applies.
 */
public final class NodeApiTls {
    /** Extended key usage: TLS server authentication. */
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final int SAN_DNS = 2;

    private NodeApiTls() {
    }

    /** An SSL context that trusts only the CA certificate(s) in {@code caPem} and only for {@code serverName}. */
    public static SSLContext context(Path caPem, String serverName) throws BootConfigException {
        return context(readCertificates(caPem), serverName, anchor -> { });
    }

    /**
     * An SSL context that trusts only {@code cas} and only for {@code serverName}; {@code accepted} learns the CA
     * of each server chain it accepts.
     */
    static SSLContext context(List<X509Certificate> cas, String serverName, Consumer<X509Certificate> accepted) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new ServerNameTrustManager(cas, serverName, accepted)}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java runtime has no TLS", e);
        }
    }

    static List<X509Certificate> readCertificates(Path caPem) throws BootConfigException {
        Collection<? extends Certificate> certificates;
        try (InputStream in = Files.newInputStream(caPem)) {
            certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (NoSuchFileException e) {
            throw new BootConfigException("the node API's CA certificate " + caPem + " is missing; the profile's addon"
                    + " archive must carry it (check that the NodeProfile's addon archive is the operator's current one)", e);
        } catch (IOException | CertificateException e) {
            throw new BootConfigException("the node API's CA certificate " + caPem + " cannot be read ("
                    + e.getMessage() + "); it must be PEM, as the operator writes it into the addon archive", e);
        }
        List<X509Certificate> cas = certificates.stream().map(X509Certificate.class::cast).toList();
        if (cas.isEmpty()) {
            throw new BootConfigException("the node API's CA certificate file " + caPem + " holds no certificate");
        }
        return cas;
    }

    /** Checks the server's chain against the cluster CA with PKIX, and its name against {@code serverName}. */
    static final class ServerNameTrustManager extends X509ExtendedTrustManager {
        private final List<X509Certificate> cas;
        private final Set<TrustAnchor> anchors;
        private final String serverName;
        private final Consumer<X509Certificate> accepted;

        ServerNameTrustManager(List<X509Certificate> cas, String serverName, Consumer<X509Certificate> accepted) {
            this.accepted = accepted;
            this.cas = List.copyOf(cas);
            this.anchors = cas.stream().map(ca -> new TrustAnchor(ca, null)).collect(Collectors.toUnmodifiableSet());
            this.serverName = serverName;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("the node API client authenticates no clients");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return cas.toArray(X509Certificate[]::new);
        }

        void check(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("the server sent no certificate");
            }
            // The path to validate ends below the anchor; a server may send the CA certificate along.
            List<X509Certificate> path = new ArrayList<>(Arrays.asList(chain));
            X509Certificate anchor;
            while (path.size() > 1 && cas.contains(path.get(path.size() - 1))) {
                path.remove(path.size() - 1);
            }
            try {
                CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
                PKIXParameters parameters = new PKIXParameters(anchors);
                // The cluster CA publishes no revocation lists; certificates are short-lived instead.
                parameters.setRevocationEnabled(false);
                anchor = ((PKIXCertPathValidatorResult) CertPathValidator.getInstance("PKIX").validate(certPath,
                        parameters)).getTrustAnchor().getTrustedCert();
            } catch (CertPathValidatorException e) {
                throw new CertificateException("the node API's certificate (" + chain[0].getSubjectX500Principal()
                        + ") is not signed by the cluster CA in the addon archive: " + e.getMessage(), e);
            } catch (InvalidAlgorithmParameterException | NoSuchAlgorithmException e) {
                throw new CertificateException("cannot validate the node API's certificate: " + e.getMessage(), e);
            }
            X509Certificate leaf = chain[0];
            if (!dnsNames(leaf).contains(serverName.toLowerCase(Locale.ROOT))) {
                throw new CertificateException("the node API's certificate names " + dnsNames(leaf) + ", not "
                        + serverName + "; the server is not the node API");
            }
            List<String> usages = leaf.getExtendedKeyUsage();
            if (usages != null && !usages.contains(SERVER_AUTH)) {
                throw new CertificateException("the node API's certificate is not for TLS servers (extended key usage "
                        + usages + ")");
            }
            accepted.accept(anchor);
        }

        private static List<String> dnsNames(X509Certificate certificate) throws CertificateParsingException {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (names == null) {
                return List.of();
            }
            return names.stream().filter(name -> name.size() >= 2 && Integer.valueOf(SAN_DNS).equals(name.get(0)))
                    .map(name -> String.valueOf(name.get(1)).toLowerCase(Locale.ROOT)).toList();
        }
    }
}

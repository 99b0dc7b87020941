package dev.tether.agent.trust;

import dev.tether.agent.BootConfigException;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;

/**
 * The node API CA certificates that the addon archive carries. They arrive over plain HTTP, so on their own
 * they prove nothing; the agent trusts them to deliver a new key (arming sends no secret), and after that
 * only the one CA the TPM sealed together with the key ({@link Enrolment}).
 */
public final class NodeApiCa {
    private final Path source;
    private final List<X509Certificate> certificates;

    private NodeApiCa(Path source, List<X509Certificate> certificates) {
        this.source = source;
        this.certificates = List.copyOf(certificates);
    }

    /** The PEM file of the addon archive; one certificate, or several while the cluster CA is being replaced. */
    public static NodeApiCa read(Path pem) throws BootConfigException {
        return new NodeApiCa(pem, NodeApiTls.readCertificates(pem));
    }

    public Path source() {
        return source;
    }

    public List<CaFingerprint> fingerprints() {
        return certificates.stream().map(CaFingerprint::of).distinct().toList();
    }

    /**
     * Only the certificate with this fingerprint, or empty when the addon has none: trusting the whole file would
     * let a forged addon add its own CA next to the genuine one.
     */
    public Optional<NodeApiCa> pinnedTo(CaFingerprint fingerprint) {
        List<X509Certificate> matching = certificates.stream().filter(c -> CaFingerprint.of(c).equals(fingerprint))
                .toList();
        return matching.isEmpty() ? Optional.empty() : Optional.of(new NodeApiCa(source, matching.subList(0, 1)));
    }

    /** Whether these certificates are the one CA {@code fingerprint} names and no other. */
    public boolean isOnly(CaFingerprint fingerprint) {
        return certificates.size() == 1 && CaFingerprint.of(certificates.get(0)).equals(fingerprint);
    }

    /** These certificates as PEM, for a client that must trust exactly them later (the node's persistence saver). */
    public String pem() {
        return pem(certificates);
    }

    /** Certificates as PEM, as the addon archive holds a CA (the selftest writes its throwaway CA so). */
    public static String pem(List<X509Certificate> certificates) {
        StringBuilder out = new StringBuilder();
        Base64.Encoder encoder = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        for (X509Certificate certificate : certificates) {
            try {
                out.append("-----BEGIN CERTIFICATE-----\n").append(encoder.encodeToString(certificate.getEncoded()))
                        .append("\n-----END CERTIFICATE-----\n");
            } catch (CertificateEncodingException e) {
                throw new IllegalStateException("a parsed certificate cannot be encoded again", e);
            }
        }
        return out.toString();
    }

    /** TLS trusting these certificates for the node API's name, and which of them a server's chain led to. */
    public Tls tls(String serverName) {
        AtomicReference<X509Certificate> anchor = new AtomicReference<>();
        return new Tls(NodeApiTls.context(certificates, serverName, anchor::set), anchor);
    }

    /** An SSL context and the CA the last accepted server chained to. */
    public static final class Tls {
        private final SSLContext context;
        private final AtomicReference<X509Certificate> anchor;

        private Tls(SSLContext context, AtomicReference<X509Certificate> anchor) {
            this.context = context;
            this.anchor = anchor;
        }

        public SSLContext context() {
            return context;
        }

        /** The CA of the last server this context accepted; empty before any was. */
        public Optional<CaFingerprint> lastAccepted() {
            return Optional.ofNullable(anchor.get()).map(CaFingerprint::of);
        }
    }
}

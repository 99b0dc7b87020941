package dev.tether.operator.trust;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;

/** The node API's TLS key and certificate, with the CA that signed it (sent as the chain's second element). */
public record ServerIdentity(PrivateKey privateKey, X509Certificate certificate, X509Certificate ca) {
    public Instant notAfter() {
        return certificate.getNotAfter().toInstant();
    }

    @Override
    public String toString() {
        return "ServerIdentity[" + certificate.getSubjectX500Principal().getName() + ", until " + notAfter() + ", key=(redacted)]";
    }
}

package dev.tether.operator.trust;

import java.security.PublicKey;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.sshd.certificate.OpenSshCertificateBuilder;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;

/** Signs OpenSSH host certificates with the SSH CA, through Apache SSHD's certificate builder. */
public final class HostKeySigner {
    private final SshCa ca;

    public HostKeySigner(SshCa ca) {
        this.ca = ca;
    }

    /** One signed certificate, as the OpenSSH line a {@code -cert.pub} file holds. */
    public record SignedCertificate(long serial, String keyType, String line) {}

    public SignedCertificate sign(PublicKey hostKey, long serial, String id, List<String> principals, Instant validAfter,
                                  Instant validBefore) {
        try {
            OpenSshCertificate certificate = OpenSshCertificateBuilder.hostCertificate()
                    .serial(serial)
                    .publicKey(hostKey)
                    .id(id)
                    .principals(principals)
                    .criticalOptions(Map.of())
                    .extensions(Map.of())
                    .validAfter(validAfter)
                    .validBefore(validBefore)
                    .sign(ca.keyPair());
            return new SignedCertificate(serial, certificate.getKeyType(), PublicKeyEntry.toString(certificate) + " " + id);
        } catch (Exception e) {
            throw new IllegalStateException("the SSH CA could not sign a host key: " + e.getMessage(), e);
        }
    }

    public String caPublicKey() {
        return ca.publicKey();
    }
}

package dev.tether.operator.trust;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The cluster CA: an ECDSA P-256 key and a self-signed certificate, made once and kept in a Secret in
 * the operator's namespace. It signs the node API's server certificate; its certificate goes into
 * every profile's addon archive so a booting node can tell the real node API from anything else an
 * edge address might answer with.
 */
public final class ClusterCa {
    public static final String CERTIFICATE_KEY = "ca.crt";
    public static final String PRIVATE_KEY_KEY = "ca.key";
    static final Duration CA_VALIDITY = Duration.ofDays(3650);
    private static final Duration BACKDATE = Duration.ofMinutes(5);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final X509Certificate certificate;
    private final PrivateKey privateKey;
    private final String certificatePem;

    private ClusterCa(X509Certificate certificate, PrivateKey privateKey, String certificatePem) {
        this.certificate = certificate;
        this.privateKey = privateKey;
        this.certificatePem = certificatePem;
    }

    /** The CA in Secret {@code namespace/secretName}, created first if it does not exist. */
    public static ClusterCa loadOrCreate(KubernetesClient client, String namespace, String secretName) {
        Map<String, String> data = OperatorSecrets.readOrCreate(client, namespace, secretName, "cluster-ca", ClusterCa::fresh);
        String pem = data.get(CERTIFICATE_KEY);
        String key = data.get(PRIVATE_KEY_KEY);
        if (pem == null || key == null) {
            throw new IllegalStateException("Secret " + namespace + "/" + secretName + " must hold " + CERTIFICATE_KEY + " and "
                    + PRIVATE_KEY_KEY + " (PEM); delete it to let the operator make a new cluster CA (nodes then need new addon archives)");
        }
        return new ClusterCa(Pem.certificate(pem), Pem.privateKey(key), pem);
    }

    private static Map<String, String> fresh() {
        KeyPair pair = newKeyPair();
        X500Name subject = new X500Name("CN=Tether cluster CA,O=tether.dev");
        Instant now = Instant.now();
        try {
            var extensions = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(now.minus(BACKDATE)),
                    Date.from(now.plus(CA_VALIDITY)), subject, pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(pair.getPublic()));
            X509Certificate certificate = sign(builder, pair.getPrivate());
            return Map.of(CERTIFICATE_KEY, Pem.write(certificate), PRIVATE_KEY_KEY, Pem.write(pair.getPrivate()));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("could not make the cluster CA", e);
        }
    }

    /** A new server key and a certificate for it, valid for {@code dnsNames} (the first is also the subject's CN). */
    public ServerIdentity issueServerCertificate(List<String> dnsNames, Duration validity) {
        if (dnsNames.isEmpty()) {
            throw new IllegalArgumentException("a server certificate needs at least one DNS name");
        }
        KeyPair pair = newKeyPair();
        Instant now = Instant.now();
        Instant notAfter = now.plus(validity);
        if (notAfter.isAfter(certificate.getNotAfter().toInstant())) {
            notAfter = certificate.getNotAfter().toInstant();
        }
        try {
            var extensions = new JcaX509ExtensionUtils();
            var names = dnsNames.stream().distinct().map(n -> new GeneralName(GeneralName.dNSName, n)).toArray(GeneralName[]::new);
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(), Date.from(now.minus(BACKDATE)),
                    Date.from(notAfter), new X500Name("CN=" + dnsNames.getFirst()), pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names))
                    .addExtension(Extension.authorityKeyIdentifier, false, extensions.createAuthorityKeyIdentifier(certificate))
                    .addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(pair.getPublic()));
            return new ServerIdentity(pair.getPrivate(), sign(builder, privateKey), certificate);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("could not issue the node API's server certificate", e);
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** The CA certificate as PEM: public, for the addon archives. */
    public String certificatePem() {
        return certificatePem;
    }

    @Override
    public String toString() {
        return "ClusterCa[" + certificate.getSubjectX500Principal().getName() + ", key=(redacted)]";
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) throws GeneralSecurityException {
        try {
            var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("no ECDSA signer", e);
        }
    }

    private static KeyPair newKeyPair() {
        try {
            var generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot make P-256 keys", e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }
}

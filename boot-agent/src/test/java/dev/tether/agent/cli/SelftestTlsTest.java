package dev.tether.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.AgentConsole;
import dev.tether.nodeapi.NodeApi;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SelftestTlsTest {
    @Test
    void theSelftestTalksTls13WithTheNodeApiClientToALoopbackServer() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        AgentConsole console = new AgentConsole(new PrintStream(printed, true, StandardCharsets.UTF_8), Optional.empty(), false);

        String agreed = SelftestTls.exchange(console);

        assertThat(agreed).startsWith("TLSv1.3 TLS_").contains("with the node API client and a server on loopback");
        assertThat(printed.toString(StandardCharsets.UTF_8)).doesNotContain("Exception");
    }

    @Test
    void itsCertificatesAreWhatAPkixValidatorAcceptsForTheNodeApisName() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair caKey = generator.generateKeyPair();
        KeyPair serverKey = generator.generateKeyPair();
        Instant now = Instant.now();

        X509Certificate ca = SelftestTls.Certificates.ca("CN=test CA", caKey, now);
        X509Certificate server = SelftestTls.Certificates.server("CN=server", NodeApi.SERVER_NAME, serverKey, ca,
                caKey.getPrivate(), now);

        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(server.getSubjectAlternativeNames()).containsExactly(List.of(2, NodeApi.SERVER_NAME));
        assertThat(server.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        assertThat(server.getIssuerX500Principal()).isEqualTo(ca.getSubjectX500Principal());
        server.checkValidity();
        PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
        parameters.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(
                CertificateFactory.getInstance("X.509").generateCertPath(List.of(server)), parameters);
        // Signed by the CA's key and not by the server's own.
        server.verify(caKey.getPublic());
        assertThat(ca.getSubjectX500Principal().getName()).isEqualTo("CN=test CA");
    }
}

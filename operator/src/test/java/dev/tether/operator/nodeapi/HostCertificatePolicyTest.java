package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.trust.HostKey;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.nodeapi.HostCertificates;
import dev.tether.nodeapi.HostKeys;
import dev.tether.nodeapi.NodeApi;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Whoever can write a NodeCredential or NodeProfile asks for principals; the SSH CA, which clients trust, certifies
 * only those the operator's principal policy gives the namespace (here {@code *.hpc.tether.internal},
 * {@code *.cluster.example} and {@code 10.1.0.0/16}).
 */
class HostCertificatePolicyTest extends NodeApiTestBase {

    @Test
    void namesOutsideTheNamespacesPartOfThePolicyAreLeftOutOfTheCertificateAndReported() throws Exception {
        publishedImage("bookworm", DIGEST);
        var profile = profile("compute", "bookworm");
        harness.edit(NodeProfile.class, profile.getMetadata().getName(), p -> {
            p.getSpec().ssh.extraPrincipals = List.of("*", "node-001.other.tether.internal", "login.cluster.example", "tether.internal");
            return p;
        });
        var credential = credential("node-001", "compute", Arming.ONCE);
        credential.getSpec().fqdn = "github.com";
        credential.getSpec().addresses = new ArrayList<>(List.of("10.1.0.7", "140.82.121.4", "fd00::7"));
        create(credential);
        String key = fetchKey("node-001");

        var response = api.post(NAMESPACE, "node-001", NodeApi.HOST_CERTIFICATES, key,
                new HostKeys(List.of(HostKey.generate("ed25519", new SecureRandom(), "root@node-001").publicKeyLine())));

        assertThat(response.status()).as(response.text()).isEqualTo(200);
        var signed = response.as(HostCertificates.class);
        assertThat(signed.principals()).containsExactly("node-001.hpc.tether.internal", "node-001.cluster.example", "10.1.0.7",
                "login.cluster.example");
        assertThat(signed.knownHostsPatterns()).as("what the node trusts the CA for: the policy's patterns, never *")
                .isNotEmpty().doesNotContain("*").contains("*.tether.internal");
        eventually(() -> assertThat(status("node-001").hostCertificates).singleElement()
                .satisfies(c -> assertThat(c.principals).isEqualTo(signed.principals())));
        eventually(() -> assertThat(eventsAbout("NodeCredential", "node-001"))
                .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("PrincipalsRefused")));
        String note = eventsAbout("NodeCredential", "node-001").stream().filter(e -> "PrincipalsRefused".equals(e.getReason()))
                .findFirst().orElseThrow().getNote();
        assertThat(note).contains("fqdn github.com", "address 140.82.121.4", "address fd00::7", "extra principal *",
                "extra principal node-001.other.tether.internal", "extra principal tether.internal", "nodeApi.sshPrincipals");
    }
}

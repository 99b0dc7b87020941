package dev.tether.operator.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which principals a namespace's nodes get, and the known_hosts patterns that name exactly those. */
class PrincipalPolicyTest {
    static final PrincipalPolicy POLICY = new PrincipalPolicy("nodes.example.org", Map.of(
            "hpc", new PrincipalPolicy.Grant(List.of("cluster.example.org"), List.of(Ipv4Range.parse("10.1.0.0/16"))),
            "lab", new PrincipalPolicy.Grant(List.of(), List.of(Ipv4Range.parse("10.2.16.0/20")))));

    @Test
    void theSameNodeNameInTwoNamespacesNeverGivesTheSamePrincipal() {
        var hpc = POLICY.decide("hpc", "node-001", null, List.of(), List.of());
        var lab = POLICY.decide("lab", "node-001", null, List.of(), List.of());

        assertThat(hpc.principals()).containsExactly("node-001.hpc.nodes.example.org", "node-001.cluster.example.org");
        assertThat(lab.principals()).containsExactly("node-001.lab.nodes.example.org");
        assertThat(hpc.principals()).doesNotContainAnyElementsOf(lab.principals()).doesNotContain("node-001");
    }

    @Test
    void aNamespaceCannotClaimAnotherNamespacesNamesOrAddressesNorPublicNames() {
        var decision = POLICY.decide("lab", "node-001", "node-001.hpc.nodes.example.org", List.of("10.1.0.7", "10.2.17.9"),
                List.of("x.cluster.example.org", "github.com", "*", "*.lab.nodes.example.org", "nodes.example.org",
                        "lab.nodes.example.org", "Login.LAB.nodes.example.org"));

        assertThat(decision.principals()).containsExactly("node-001.lab.nodes.example.org", "10.2.17.9", "login.lab.nodes.example.org");
        assertThat(decision.refused()).hasSize(8).anySatisfy(r -> assertThat(r).startsWith("fqdn node-001.hpc.nodes.example.org"))
                .anySatisfy(r -> assertThat(r).startsWith("address 10.1.0.7 (not in an address range granted to namespace lab)"))
                .anySatisfy(r -> assertThat(r).startsWith("extra principal * (not a DNS name)"))
                .anySatisfy(r -> assertThat(r).contains("github.com", "may have only names under lab.nodes.example.org, addresses in 10.2.16.0/20"));
    }

    @Test
    void theKnownHostsPatternsNameWhatThePolicyCertifiesAndNeverEveryHost() {
        assertThat(POLICY.knownHostsPatterns()).startsWith("*.nodes.example.org", "*.cluster.example.org", "10.1.*.*", "10.2.16.*")
                .contains("10.2.31.*").doesNotContain("10.2.32.*", "10.2.15.*", "*").hasSize(3 + 16);
        assertThat(Ipv4Range.parse("10.0.0.0/8").knownHostsPatterns()).containsExactly("10.*.*.*");
        assertThat(Ipv4Range.parse("192.168.1.7/32").knownHostsPatterns()).containsExactly("192.168.1.7");
        assertThat(Ipv4Range.parse("192.168.1.0/31").knownHostsPatterns()).containsExactly("192.168.1.0", "192.168.1.1");
        assertThat(new PrincipalPolicy("", Map.of()).knownHostsPatterns()).isEmpty();
    }

    @Test
    void theDefaultIsTetherInternalWhichNoPublicHostCanBe() {
        var policy = PrincipalPolicy.fromEnvironment(Map.of());

        assertThat(policy.knownHostsPatterns()).containsExactly("*.tether.internal");
        assertThat(PrincipalPolicy.fromEnvironment(Map.of("TETHER_SSH_PRINCIPAL_NAMESPACES",
                "{\"hpc\":{\"domains\":[\"cluster.example.org\"],\"cidrs\":[\"10.1.0.0/16\"]}}")).knownHostsPatterns())
                .containsExactly("*.tether.internal", "*.cluster.example.org", "10.1.*.*");
    }

    @Test
    void grantsThatTwoNamespacesWouldShareAreRefusedAtStartUp() {
        assertThatThrownBy(() -> new PrincipalPolicy("nodes.example.org", Map.of(
                "a", new PrincipalPolicy.Grant(List.of("example.org"), List.of()))))
                .hasMessageContaining("overlaps sshPrincipals.domain");
        assertThatThrownBy(() -> new PrincipalPolicy("", Map.of(
                "a", new PrincipalPolicy.Grant(List.of("cluster.example.org"), List.of()),
                "b", new PrincipalPolicy.Grant(List.of("x.cluster.example.org"), List.of()))))
                .hasMessageContaining("a name may belong to one namespace only");
        assertThatThrownBy(() -> new PrincipalPolicy("", Map.of(
                "a", new PrincipalPolicy.Grant(List.of(), List.of(Ipv4Range.parse("10.0.0.0/8"))),
                "b", new PrincipalPolicy.Grant(List.of(), List.of(Ipv4Range.parse("10.3.0.0/16"))))))
                .hasMessageContaining("an address may belong to one namespace only");
        assertThatThrownBy(() -> Ipv4Range.parse("10.1.0.0/0")).hasMessageContaining("prefix of 1 to 32 bits");
        assertThatThrownBy(() -> Ipv4Range.parse("10.1.0.1/16")).hasMessageContaining("10.1.0.0/16");
        assertThatThrownBy(() -> PrincipalPolicy.fromEnvironment(Map.of("TETHER_SSH_PRINCIPAL_DOMAIN", "*")))
                .hasMessageContaining("is not a DNS domain");
    }
}

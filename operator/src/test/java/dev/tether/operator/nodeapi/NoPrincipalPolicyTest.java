package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.OPERATOR_NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.trust.HostKey;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.nodeapi.HostKeys;
import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.OperatorConfig;
import dev.tether.operator.trust.PrincipalPolicy;
import dev.tether.operator.trust.SshCaPublication;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * A policy that gives a namespace no names: an OpenSSH certificate without principals is valid for every host,
 * so none is signed, and the published line trusts the CA for nothing.
 */
class NoPrincipalPolicyTest extends NodeApiTestBase {

    @Override
    UnaryOperator<OperatorConfig> settings() {
        return c -> c.withNodeApi(c.nodeApi().withSshPrincipals(new PrincipalPolicy("", Map.of())));
    }

    @Test
    void noCertificateIsSignedWithoutAPrincipalAndNoHostIsTrusted() throws Exception {
        publishedImage("bookworm", DIGEST);
        profile("compute", "bookworm");
        create(credential("node-001", "compute", Arming.ONCE));
        String key = fetchKey("node-001");

        var response = api.post(NAMESPACE, "node-001", NodeApi.HOST_CERTIFICATES, key,
                new HostKeys(List.of(HostKey.generate("ed25519", new SecureRandom(), "root@node-001").publicKeyLine())));

        assertThat(response.status()).as(response.text()).isEqualTo(403);
        assertThat(response.error().error()).isEqualTo("NoAllowedPrincipals");
        assertThat(response.error().message()).contains("nodeApi.sshPrincipals");
        assertThat(status("node-001").hostCertificates).isEmpty();
        String published = harness.client.configMaps().inNamespace(OPERATOR_NAMESPACE).withName("tether-ssh-ca").get()
                .getData().get(SshCaPublication.KNOWN_HOSTS);
        assertThat(published).startsWith("#").doesNotContain("@cert-authority");
    }
}

package dev.tether.operator.power;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.api.v1alpha1.Bmc;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Which client a NodeCredential's BMC gets, and a Secret whose CA cannot be used. */
class BmcConnectorTest {
    private final BmcConnector connector = new BmcConnector("ipmitool", Duration.ofSeconds(5));

    @Test
    void eachProtocolGetsItsClient() throws Exception {
        try (var ipmi = connector.connect(credential(Bmc.Protocol.IPMI), new BmcCredentials("u", "p", null));
             var redfish = connector.connect(credential(Bmc.Protocol.REDFISH), new BmcCredentials("u", "p", null))) {
            assertThat(ipmi).isInstanceOf(IpmiBmc.class);
            assertThat(redfish).isInstanceOf(RedfishBmc.class);
        }
    }

    @Test
    void aCaThatIsNoCertificateStallsInsteadOfBeingRetried() {
        assertThatThrownBy(() -> connector.connect(credential(Bmc.Protocol.REDFISH), new BmcCredentials("u", "p", "not a certificate")))
                .isInstanceOfSatisfying(BmcException.class, e -> assertThat(e.kind()).isEqualTo(BmcException.Kind.SECRET_NOT_USABLE))
                .hasMessageContaining("ca.crt of Secret hpc/n1-bmc");
    }

    private static NodeCredential credential(Bmc.Protocol protocol) {
        var credential = new NodeCredential();
        credential.getMetadata().setName("n1");
        credential.getMetadata().setNamespace("hpc");
        credential.setSpec(new NodeCredentialSpec());
        credential.getSpec().bmc = new Bmc();
        credential.getSpec().bmc.protocol = protocol;
        credential.getSpec().bmc.address = "bmc-n1.example.org";
        credential.getSpec().bmc.credentialsSecret = "n1-bmc";
        return credential;
    }
}

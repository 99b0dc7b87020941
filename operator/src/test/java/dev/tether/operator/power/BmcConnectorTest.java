package dev.tether.operator.power;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.api.v1alpha1.Bmc;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeCredentialStatus.PowerState;
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

    /**
     * spec.bmc.redfish.insecureSkipTlsVerify, through the client the connector builds: a BMC whose certificate no
     * trusted CA signed (and that does not name the address used) is refused without the flag, before the password goes
     * out, and reached with it.
     */
    @Test
    void insecureSkipTlsVerifyInTheSpecIsWhatSkipsVerification() throws Exception {
        try (var bmc = new RecordedRedfish("admin", "rf-pw-71c3")) {
            var node = credential(Bmc.Protocol.REDFISH);
            node.getSpec().bmc.address = "127.0.0.1";
            node.getSpec().bmc.port = bmc.base().getPort();
            var credentials = new BmcCredentials("admin", "rf-pw-71c3", null);

            try (var client = connector.connect(node, credentials)) {
                assertThatThrownBy(client::powerState).isInstanceOfSatisfying(BmcException.class,
                        e -> assertThat(e.kind()).isEqualTo(BmcException.Kind.UNREACHABLE));
            }
            node.getSpec().bmc.redfish = new Bmc.Redfish();
            node.getSpec().bmc.redfish.insecureSkipTlsVerify = false;
            try (var client = connector.connect(node, credentials)) {
                assertThatThrownBy(client::powerState).isInstanceOf(BmcException.class);
            }
            assertThat(bmc.requests).as("no request, so no password, went out").isEmpty();

            node.getSpec().bmc.redfish.insecureSkipTlsVerify = true;
            try (var client = connector.connect(node, credentials)) {
                assertThat(client.powerState()).isEqualTo(PowerState.ON);
            }
        }
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

package dev.tether.operator.power;

import static dev.tether.operator.OperatorHarness.NAMESPACE;

import dev.tether.api.v1alpha1.Bmc;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.PowerSpec;
import java.util.List;

/** A node of profile {@code compute} whose BMC is an {@link IpmiSimulator} on loopback, as the power tests use it. */
final class IpmiCredentials {
    private IpmiCredentials() {
    }

    static NodeCredential credential(String name, String mac, int port, String secret, PowerSpec.State state, String reboot) {
        var credential = new NodeCredential();
        credential.getMetadata().setName(name);
        credential.getMetadata().setNamespace(NAMESPACE);
        credential.setSpec(new NodeCredentialSpec());
        credential.getSpec().nodeName = name;
        credential.getSpec().profile = "compute";
        credential.getSpec().hardware = new NodeCredentialSpec.Hardware();
        credential.getSpec().hardware.macs = List.of(mac);
        credential.getSpec().bmc = new Bmc();
        credential.getSpec().bmc.protocol = Bmc.Protocol.IPMI;
        credential.getSpec().bmc.address = "127.0.0.1";
        credential.getSpec().bmc.port = port;
        credential.getSpec().bmc.credentialsSecret = secret;
        credential.getSpec().bmc.ipmi = new Bmc.Ipmi();
        credential.getSpec().bmc.ipmi.cipherSuite = 3;
        credential.getSpec().power = new PowerSpec();
        credential.getSpec().power.state = state;
        credential.getSpec().power.rebootRequest = reboot;
        return credential;
    }
}

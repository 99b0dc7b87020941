package dev.tether.operator.power;

import dev.tether.api.v1alpha1.Bmc.Protocol;
import dev.tether.api.v1alpha1.NodeCredential;
import java.net.URI;
import java.net.http.HttpClient;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Objects;

/** Makes the {@link BmcClient} a NodeCredential names, for one talk with it (closed after). */
public final class BmcConnector {
    private final String ipmitool;
    private final Duration timeout;

    /**
     * @param ipmitool the ipmitool program (a path, or a name on PATH)
     * @param timeout how long one request to a BMC may take
     */
    public BmcConnector(String ipmitool, Duration timeout) {
        this.ipmitool = ipmitool;
        this.timeout = timeout;
    }

    public BmcClient connect(NodeCredential credential, BmcCredentials credentials) throws BmcException {
        var spec = credential.getSpec().bmc;
        if (spec.protocol == Protocol.IPMI) {
            int port = Objects.requireNonNullElse(spec.port, 623);
            return new IpmiBmc(ipmitool, spec.address, port, spec.ipmi == null ? null : spec.ipmi.cipherSuite, credentials, timeout);
        }
        int port = Objects.requireNonNullElse(spec.port, 443);
        var redfish = spec.redfish;
        boolean insecure = redfish != null && Boolean.TRUE.equals(redfish.insecureSkipTlsVerify);
        HttpClient http;
        try {
            http = RedfishTls.client(credentials.caPem(), insecure, timeout);
        } catch (GeneralSecurityException e) {
            throw new BmcException(BmcException.Kind.SECRET_NOT_USABLE, "The ca.crt of Secret " + credential.getMetadata().getNamespace() + "/"
                    + spec.credentialsSecret + " is not a usable PEM CA certificate (" + e.getMessage() + "); fix it or remove it.");
        }
        String host = spec.address.contains(":") ? "[" + spec.address + "]" : spec.address;
        return new RedfishBmc(http, URI.create("https://" + host + ":" + port), redfish == null ? null : redfish.systemId,
                redfish == null ? null : redfish.auth, credentials, timeout);
    }
}

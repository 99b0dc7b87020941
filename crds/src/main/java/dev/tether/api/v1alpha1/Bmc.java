package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * A node's baseboard management controller: how the operator reaches it to read and change the node's power. The
 * credentials live in a Secret of the credential's own namespace that its owner marked for this use.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.ipmi) || self.protocol == 'ipmi'", message = "ipmi settings need protocol: ipmi")
@ValidationRule(value = "!has(self.redfish) || self.protocol == 'redfish'", message = "redfish settings need protocol: redfish")
public class Bmc {
    /** The label a Secret must carry for the operator to send its contents to a BMC. */
    public static final String USE_LABEL = "tether.dev/use";
    public static final String USE = "bmc";
    public static final String USERNAME_KEY = "username";
    public static final String PASSWORD_KEY = "password";
    public static final String CA_KEY = "ca.crt";

    @JsonPropertyDescription("ipmi: IPMI 2.0 over LAN (RMCP+, driven with ipmitool); redfish: the DMTF Redfish REST API over HTTPS.")
    @Required
    public Protocol protocol;

    @JsonPropertyDescription("Host name or IP address of the BMC's management interface.")
    @Required
    @Pattern("^([A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*|[0-9a-fA-F:]*:[0-9a-fA-F:.]+)$")
    @Size(max = 253)
    public String address;

    @JsonPropertyDescription("Port of the BMC; default 623 (UDP) for ipmi, 443 for redfish.")
    @Min(1)
    @Max(65535)
    public Integer port;

    @JsonPropertyDescription("Secret of this namespace with the BMC's 'username' and 'password' (and for redfish optionally 'ca.crt', "
            + "the PEM CA that signed the BMC's certificate). The operator uses only a Secret labelled tether.dev/use=bmc: "
            + "kubectl label secret NAME tether.dev/use=bmc.")
    @Required
    @Pattern(Patterns.DNS_SUBDOMAIN)
    @Size(max = 253)
    public String credentialsSecret;

    @JsonPropertyDescription("IPMI settings.")
    public Ipmi ipmi;

    @JsonPropertyDescription("Redfish settings.")
    public Redfish redfish;

    public enum Protocol {
        @JsonProperty("ipmi") IPMI,
        @JsonProperty("redfish") REDFISH
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Ipmi {
        @JsonPropertyDescription("RMCP+ cipher suite (ipmitool -C); absent: ipmitool picks the best the BMC offers (17 on most). Some "
                + "BMCs do not answer the cipher suite query: name the suite then, 3 or 17.")
        @Min(0)
        @Max(17)
        public Integer cipherSuite;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Redfish {
        @JsonPropertyDescription("Id of the ComputerSystem under /redfish/v1/Systems; absent: the only member of that collection.")
        @Pattern("^[A-Za-z0-9._-]+$")
        @Size(max = 128)
        public String systemId;

        @JsonPropertyDescription("basic: HTTP basic authentication on every request; session: a Redfish session, deleted after use.")
        public Auth auth;

        @JsonPropertyDescription("Skip verifying the BMC's TLS certificate. Only for a lab: anyone on the path can then read the BMC "
                + "password. Prefer 'ca.crt' in the credentials Secret.")
        public Boolean insecureSkipTlsVerify;
    }

    public enum Auth {
        @JsonProperty("basic") BASIC,
        @JsonProperty("session") SESSION
    }
}

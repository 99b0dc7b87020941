package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** One bare-metal node. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NodeCredentialSpec {
    /** The node's host name, as it will know itself. */
    @Required
    @Pattern(Patterns.DNS_LABEL)
    @Size(max = 63)
    public String nodeName;

    /** The NodeProfile (same namespace) this node boots with. */
    @Required
    @Pattern(Patterns.DNS_SUBDOMAIN)
    @Size(max = 253)
    public String profile;

    @Required
    public Hardware hardware;

    /**
     * Fully qualified name, added to the SSH host certificate's principals if the operator's principal policy gives it
     * to this namespace (else left out, with a PrincipalsRefused event). The node is always certified as
     * {@code <nodeName>.<namespace>.<policy domain>}.
     */
    @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$")
    @Size(max = 253)
    public String fqdn;

    /**
     * Addresses the node is reached at, added to the SSH host certificate's principals when in an IPv4 range the
     * operator's principal policy grants this namespace.
     */
    @Size(max = 16)
    public List<@Pattern("^[0-9a-fA-F.:]+$") @Size(max = 45) String> addresses = new ArrayList<>();

    /** Whether the node may fetch a new API key over the network. */
    @Default("once")
    public Arming arming = Arming.ONCE;

    /** Whether this node has a TPM to seal its API key in. */
    @Default("expected")
    public Tpm tpm = Tpm.EXPECTED;

    public enum Arming {
        /** One key may be fetched over the network; the credential then disarms itself. */
        @JsonProperty("once") ONCE,
        /** A key may be fetched at every boot (nodes without a TPM). */
        @JsonProperty("continuous") CONTINUOUS,
        /** No key over the network: the node must unseal the one in its TPM. */
        @JsonProperty("disarmed") DISARMED
    }

    public enum Tpm {
        @JsonProperty("expected") EXPECTED,
        @JsonProperty("absent") ABSENT
    }

    /** How the node is recognised before it has a key: by its MACs (iPXE) or its SMBIOS UUID. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @ValidationRule(value = "(has(self.macs) && size(self.macs) > 0) || has(self.smbiosUuid)",
            message = "give at least one MAC address or the SMBIOS UUID")
    @ValidationRule(value = "!has(self.macs) || self.macs.all(m, self.macs.exists_one(n, n == m))",
            message = "MAC addresses must be unique")
    public static class Hardware {
        @Size(max = 16)
        public List<@Pattern(Patterns.MAC) String> macs = new ArrayList<>();

        @Pattern(Patterns.UUID)
        public String smbiosUuid;
    }
}

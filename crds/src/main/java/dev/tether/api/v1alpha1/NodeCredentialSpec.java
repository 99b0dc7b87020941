package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** One bare-metal node. */
@JsonClassDescription("Who the node is and what it may do.")
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.endorsementKey) || !has(self.tpm) || self.tpm != 'absent'",
        message = "endorsementKey names the node's TPM, so tpm cannot be absent")
@ValidationRule(value = "!has(self.power) || has(self.bmc)", message = "power is carried out through the BMC: give spec.bmc too")
public class NodeCredentialSpec {
    @JsonPropertyDescription("The node's host name, as it will know itself.")
    @Required
    @Pattern(Patterns.DNS_LABEL)
    @Size(max = 63)
    public String nodeName;

    @JsonPropertyDescription("The NodeProfile (same namespace) this node boots with.")
    @Required
    @Pattern(Patterns.DNS_SUBDOMAIN)
    @Size(max = 253)
    public String profile;

    @JsonPropertyDescription("How the node is recognised before it has a key.")
    @Required
    public Hardware hardware;

    @JsonPropertyDescription("Fully qualified name, added to the SSH host certificate's principals if the operator's principal policy "
            + "gives it to this namespace (else left out, with a PrincipalsRefused event). The node is always certified"
            + " as <nodeName>.<namespace>.<policy domain>.")
    @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$")
    @Size(max = 253)
    public String fqdn;

    @JsonPropertyDescription("Addresses the node is reached at, added to the SSH host certificate's principals when in an IPv4 range "
            + "the operator's principal policy grants this namespace.")
    @Size(max = 16)
    public List<@Pattern("^[0-9a-fA-F.:]+$") @Size(max = 45) String> addresses = new ArrayList<>();

    @JsonPropertyDescription("Whether the node may fetch a new API key over the network.")
    @Default("once")
    public Arming arming = Arming.ONCE;

    @JsonPropertyDescription("Until when the credential is armed, as an RFC 3339 date-time (e.g. 2026-12-02T06:00:00Z); absent: no "
            + "end. After it, no key is issued over the network whatever arming says. Setting or changing it arms a "
            + "once credential again, until then; removing it arms nothing (a once credential that issued its key stays"
            + " disarmed; re-arm it with the tether.dev/rearm annotation).")
    @Pattern(Patterns.DATE_TIME)
    @Size(max = 64)
    public String armedUntil;

    @JsonPropertyDescription("The node's TPM endorsement key (EK), as sha256:<hex> of the DER SubjectPublicKeyInfo of its public key. "
            + "When set, a key is issued over the network only to a node that shows this EK, and only in a form that "
            + "this TPM alone can decrypt (TPM2_MakeCredential); MACs and the SMBIOS UUID are then not enough. From the"
            + " EK certificate: tpm2_nvread 0x01c00002 -o ek.crt; openssl x509 -inform DER -in ek.crt -noout -pubkey | "
            + "openssl pkey -pubin -outform DER | sha256sum.")
    @Pattern(Patterns.DIGEST)
    public String endorsementKey;

    @JsonPropertyDescription("Whether this node has a TPM to seal its API key in.")
    @Default("expected")
    public Tpm tpm = Tpm.EXPECTED;

    @JsonPropertyDescription("The node's BMC, through which the operator reads and changes its power.")
    public Bmc bmc;

    @JsonPropertyDescription("The power the node should have (needs bmc).")
    public PowerSpec power;

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
        @JsonPropertyDescription("MAC addresses of the node's network interfaces (iPXE asks for its script by MAC).")
        @Size(max = 16)
        public List<@Pattern(Patterns.MAC) String> macs = new ArrayList<>();

        @JsonPropertyDescription("The node's SMBIOS system UUID.")
        @Pattern(Patterns.UUID)
        public String smbiosUuid;
    }
}

package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the machine asked for (written by the operator from its registration, then fixed, as a
 * CertificateSigningRequest's request is) and the administrator's decision.
 */
@JsonClassDescription("What the machine registered (set by the operator from its registration, and then fixed) and whether to enrol "
        + "it (set by an administrator, or by the profile's discovery policy).")
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.profile == oldSelf.profile", message = "profile is the one the machine registered with; it cannot change")
@ValidationRule(value = "self.hardware == oldSelf.hardware", message = "hardware is what the machine reported; it cannot change")
public class DiscoveredNodeSpec {
    @JsonPropertyDescription("The NodeProfile (same namespace) whose edges the machine booted from; it boots with it once enrolled.")
    @Required
    @Pattern(Patterns.DNS_SUBDOMAIN)
    @Size(max = 253)
    public String profile;

    @JsonPropertyDescription("What the machine reported at its first registration (unverified, except its TPM at key issue).")
    @Required
    public Hardware hardware;

    @JsonPropertyDescription("Enrol the machine: the operator creates a NodeCredential for it, armed once and bound to the TPM "
            + "endorsement key it reported, and the machine boots normally at its next registration attempt. A machine"
            + " that reported no TPM gets a credential with tpm: absent and arming: continuous (it fetches its key at"
            + " every boot).")
    @Default("false")
    public Boolean accept = false;

    @JsonPropertyDescription("The node name of the NodeCredential made at enrolment; absent: the profile's discovery.namePrefix "
            + "followed by the MAC address's hex digits.")
    @Pattern(Patterns.DNS_LABEL)
    @Size(max = 63)
    public String nodeName;

    /** What a machine reports: none of it is proof, but the TPM's endorsement key is what its key issue is bound to. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Hardware {
        @JsonPropertyDescription("MAC addresses of its network interfaces; the first is the one it booted with.")
        @Size(min = 1, max = 16)
        public List<@Pattern(Patterns.MAC) String> macs = new ArrayList<>();
        @JsonPropertyDescription("Its SMBIOS system UUID.")
        @Pattern(Patterns.UUID)
        public String smbiosUuid;
        @JsonPropertyDescription("Its SMBIOS system serial number.")
        @Size(max = 128)
        public String serial;
        @JsonPropertyDescription("Its SMBIOS manufacturer and product name.")
        @Size(max = 128)
        public String product;
        @JsonPropertyDescription("Its TPM's endorsement key, as sha256:<hex> of the DER SubjectPublicKeyInfo; absent: no TPM.")
        @Pattern(Patterns.DIGEST)
        public String endorsementKey;

        @Override
        public boolean equals(Object other) {
            return other instanceof Hardware h && macs.equals(h.macs) && Objects.equals(smbiosUuid, h.smbiosUuid)
                    && Objects.equals(serial, h.serial) && Objects.equals(product, h.product)
                    && Objects.equals(endorsementKey, h.endorsementKey);
        }

        @Override
        public int hashCode() {
            return Objects.hash(macs, smbiosUuid, serial, product, endorsementKey);
        }
    }
}

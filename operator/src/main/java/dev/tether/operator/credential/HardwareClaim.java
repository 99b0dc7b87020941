package dev.tether.operator.credential;

import dev.tether.api.v1alpha1.NodeCredentialSpec;
import java.util.List;
import java.util.Locale;

/**
 * The hardware a node says it is, when it asks for a key: its MAC addresses and SMBIOS UUID, already
 * checked for form and lower-cased. It matches a credential that lists one of the MACs or the UUID.
 *
 * @param endorsementKey the fingerprint ({@code sha256:<hex>}) of the TPM endorsement key the node showed, or null
 */
public record HardwareClaim(List<String> macs, String smbiosUuid, String endorsementKey) {
    public HardwareClaim {
        macs = List.copyOf(macs);
    }

    public HardwareClaim(List<String> macs, String smbiosUuid) {
        this(macs, smbiosUuid, null);
    }

    /** Whether the node showed the endorsement key {@code expected} names; true when the credential names none. */
    public boolean endorsementKeyMatches(String expected) {
        return expected == null || expected.equalsIgnoreCase(endorsementKey);
    }

    public boolean matches(NodeCredentialSpec.Hardware hardware) {
        if (hardware == null) {
            return false;
        }
        boolean mac = hardware.macs != null && hardware.macs.stream().anyMatch(m -> macs.contains(m.toLowerCase(Locale.ROOT)));
        boolean uuid = smbiosUuid != null && smbiosUuid.equalsIgnoreCase(hardware.smbiosUuid);
        return mac || uuid;
    }
}

package dev.tether.operator.credential;

import dev.tether.api.v1alpha1.NodeCredentialSpec;
import java.util.List;

/**
 * The hardware a node says it is, when it asks for a key: its MAC addresses and SMBIOS UUID, already
 * checked for form and lower-cased. It matches a credential that lists one of the MACs or the UUID.
 */
public record HardwareClaim(List<String> macs, String smbiosUuid) {
    public HardwareClaim {
        macs = List.copyOf(macs);
    }

    public boolean matches(NodeCredentialSpec.Hardware hardware) {
        if (hardware == null) {
            return false;
        }
        boolean mac = hardware.macs != null && hardware.macs.stream().anyMatch(m -> macs.contains(m.toLowerCase(java.util.Locale.ROOT)));
        boolean uuid = smbiosUuid != null && smbiosUuid.equalsIgnoreCase(hardware.smbiosUuid);
        return mac || uuid;
    }
}

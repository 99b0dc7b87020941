package dev.tether.nodeapi;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A node without a key asks for one. It names its hardware; the credential must list one of these MACs
 * or this SMBIOS UUID, so a key cannot be had by knowing a node name alone.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ArmingRequest(List<String> macs, String smbiosUuid) {
    public ArmingRequest {
        macs = macs == null ? List.of() : List.copyOf(macs);
    }
}

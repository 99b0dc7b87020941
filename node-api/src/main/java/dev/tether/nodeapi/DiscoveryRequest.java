package dev.tether.nodeapi;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A machine no NodeCredential knows registers what it is with the profile whose edges it booted from, and asks again
 * until it is enrolled. Nothing here is proof of anything: the operator records it for an administrator to judge,
 * and binds the enrolled machine's key issue to the TPM it names, which only that TPM can then open.
 *
 * @param macs       its MAC addresses, the one it booted with first
 * @param smbiosUuid its SMBIOS system UUID, or null
 * @param serial     its SMBIOS system serial number, or null
 * @param product    its SMBIOS manufacturer and product name, or null
 * @param tpm        its TPM's public keys, or null for a machine without one
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DiscoveryRequest(List<String> macs, String smbiosUuid, String serial, String product, ArmingRequest.Tpm tpm) {
    /** Bound on {@code serial} and {@code product}, characters: SMBIOS strings are short. */
    public static final int MAX_TEXT_CHARS = 128;

    public DiscoveryRequest {
        macs = macs == null ? List.of() : List.copyOf(macs);
    }
}

package dev.tether.nodeapi;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A node without a key asks for one. It names its hardware; the credential must list one of these MACs
 * or this SMBIOS UUID, so a key cannot be had by knowing a node name alone. A MAC is public, though: a node
 * with a TPM also shows its endorsement key, and a credential that names its EK
 * ({@code spec.endorsementKey}) is issued only to that TPM, in a form only that TPM can open ({@link EkBoundKey}).
 *
 * @param tpm the node's TPM, or null for a node without one
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ArmingRequest(List<String> macs, String smbiosUuid, Tpm tpm) {
    public ArmingRequest {
        macs = macs == null ? List.of() : List.copyOf(macs);
    }

    public ArmingRequest(List<String> macs, String smbiosUuid) {
        this(macs, smbiosUuid, null);
    }

    /**
     * The TPM's public keys, each a TPM2B_PUBLIC in base64 (standard alphabet, padded).
     *
     * @param endorsementKey the RSA 2048 EK of the TCG EK Credential Profile (template L-1)
     * @param activationKey  the key the credential is bound to: the TCG ECC P-256 storage key (owner hierarchy)
     */
    public record Tpm(String endorsementKey, String activationKey) {
        /** Bound on each field, base64 characters: a TPM2B_PUBLIC is at most a few hundred bytes. */
        public static final int MAX_FIELD_CHARS = 2048;
    }
}

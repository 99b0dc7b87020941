package dev.tether.tpm;

import java.util.Arrays;

/**
 * The object a credential is bound to: {@code TPM2_ActivateCredential} releases the credential only while an object
 * with this name is loaded in the same TPM as the endorsement key. Tether binds to the TPM's storage key (the TCG ECC
 * P-256 SRK template under the owner hierarchy, which the agent creates anyway to seal), so the node needs no extra
 * key. The binding adds nothing to secrecy, which rests on the EK alone; the template is checked all the same, so the
 * name is always that of a restricted key that never leaves its TPM.
 */
public final class ActivationKey {
    private static final int COORDINATE_BYTES = 32;

    private final byte[] tpm2bPublic;

    private ActivationKey(byte[] tpm2bPublic) {
        this.tpm2bPublic = tpm2bPublic;
    }

    /**
     * @throws TpmException when {@code tpm2bPublic} is not a TPM2B_PUBLIC of Tether's storage key template
     */
    public static ActivationKey parse(byte[] tpm2bPublic) throws TpmException {
        byte[] template = TpmStructures.storageKeyTemplate();
        // The template ends with an empty unique (x, y): two zero sizes. A created key has 32-byte coordinates there.
        int fixed = template.length - 4;
        WireReader r = new WireReader(tpm2bPublic);
        if (r.u16() != r.remaining() || tpm2bPublic.length != fixed + 2 * (2 + COORDINATE_BYTES)) {
            throw new TpmException("The activation key's public area is not one TPM2B_PUBLIC of the ECC P-256 storage key");
        }
        if (!Arrays.equals(Arrays.copyOfRange(tpm2bPublic, 2, fixed), Arrays.copyOfRange(template, 2, fixed))) {
            throw new TpmException("The activation key is not the TCG ECC P-256 storage key template (restricted decryption"
                    + " key, fixedTPM, AES-128-CFB)");
        }
        r.bytes(fixed - 2);
        if (r.u16() != COORDINATE_BYTES || r.bytes(COORDINATE_BYTES).length != COORDINATE_BYTES || r.u16() != COORDINATE_BYTES) {
            throw new TpmException("The activation key's point is not two 32-byte coordinates");
        }
        return new ActivationKey(tpm2bPublic.clone());
    }

    /** The TPM name: nameAlg (sha256) followed by sha256 of the TPMT_PUBLIC. */
    public byte[] name() {
        return name(tpm2bPublic);
    }

    public byte[] tpm2bPublic() {
        return tpm2bPublic.clone();
    }

    /** The name of any object whose TPM2B_PUBLIC has name algorithm sha256. */
    static byte[] name(byte[] tpm2bPublic) {
        byte[] publicArea = Arrays.copyOfRange(tpm2bPublic, 2, tpm2bPublic.length);
        return new WireWriter().u16(TpmStructures.ALG_SHA256).bytes(TpmStructures.sha256(publicArea)).toByteArray();
    }
}

package dev.tether.tpm;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The TPM structures Tether sends, in wire format (TPM 2.0 Library Part 2 for the layouts). */
final class TpmStructures {
    private TpmStructures() {}

    static final int ALG_AES = 0x0006;
    static final int ALG_KEYEDHASH = 0x0008;
    static final int ALG_SHA256 = 0x000B;
    static final int ALG_NULL = 0x0010;
    static final int ALG_ECC = 0x0023;
    static final int ALG_CFB = 0x0043;
    static final int ECC_NIST_P256 = 0x0003;
    static final int CC_POLICY_PCR = 0x0000017F;

    // TPMA_OBJECT bits.
    static final int FIXED_TPM = 1 << 1;
    static final int FIXED_PARENT = 1 << 4;
    static final int SENSITIVE_DATA_ORIGIN = 1 << 5;
    static final int USER_WITH_AUTH = 1 << 6;
    static final int ADMIN_WITH_POLICY = 1 << 7;
    static final int NO_DA = 1 << 10;
    static final int RESTRICTED = 1 << 16;
    static final int DECRYPT = 1 << 17;

    /** The PCR the secret is sealed to and that {@code lock()} extends (docs/contracts.md, "TPM"). */
    static final int PCR = 15;

    /** What {@code lock()} extends PCR 15 with: sha256("tether: initramfs done"). */
    static final byte[] LOCK_DIGEST = sha256("tether: initramfs done".getBytes(StandardCharsets.UTF_8));

    /**
     * TPM2B_PUBLIC of the storage key: the ECC P-256 SRK template of the TCG provisioning guidance (restricted
     * decryption key, AES-128-CFB for its children). ECC rather than RSA because swtpm and real TPMs create it in
     * milliseconds; it is derived from the owner seed, so the same template gives the same key every time.
     */
    static byte[] storageKeyTemplate() {
        WireWriter t = new WireWriter()
                .u16(ALG_ECC).u16(ALG_SHA256)
                .u32(FIXED_TPM | FIXED_PARENT | SENSITIVE_DATA_ORIGIN | USER_WITH_AUTH | NO_DA | RESTRICTED | DECRYPT)
                .tpm2b(new byte[0]) // authPolicy
                .u16(ALG_AES).u16(128).u16(ALG_CFB) // symmetric
                .u16(ALG_NULL) // scheme
                .u16(ECC_NIST_P256)
                .u16(ALG_NULL) // kdf
                .tpm2b(new byte[0]).tpm2b(new byte[0]); // unique: x, y
        return new WireWriter().tpm2b(t).toByteArray();
    }

    /**
     * TPM2B_PUBLIC of the sealed object: a keyed-hash object holding data, usable only through
     * {@code authPolicy} (userWithAuth clear), never duplicated (fixedTPM, fixedParent).
     */
    static byte[] sealedObjectTemplate(byte[] authPolicy) {
        WireWriter t = new WireWriter()
                .u16(ALG_KEYEDHASH).u16(ALG_SHA256)
                .u32(FIXED_TPM | FIXED_PARENT | ADMIN_WITH_POLICY | NO_DA)
                .tpm2b(authPolicy)
                .u16(ALG_NULL) // keyed-hash scheme
                .tpm2b(new byte[0]); // unique
        return new WireWriter().tpm2b(t).toByteArray();
    }

    /** TPM2B_SENSITIVE_CREATE with an empty authValue and {@code data}. The caller wipes the result. */
    static byte[] sensitiveCreate(byte[] data) {
        WireWriter inner = new WireWriter().tpm2b(new byte[0]).tpm2b(data);
        WireWriter outer = new WireWriter().tpm2b(inner);
        try {
            return outer.toByteArray();
        } finally {
            outer.wipe();
        }
    }

    /** TPML_PCR_SELECTION of PCR 15 in the sha256 bank. */
    static byte[] pcrSelection() {
        byte[] select = new byte[3]; // a bitmap of PCRs 0..23, PCR n in byte n/8, bit n%8
        select[PCR / 8] = (byte) (1 << (PCR % 8));
        return new WireWriter().u32(1).u16(ALG_SHA256).u8(select.length).bytes(select).toByteArray();
    }

    static byte[] noPcrSelection() {
        return new WireWriter().u32(0).toByteArray();
    }

    /** An empty TPM2B (TPM2B_DATA, TPM2B_DIGEST, ...). */
    static byte[] emptyTpm2b() {
        return new WireWriter().u16(0).toByteArray();
    }

    static byte[] symNull() {
        return new WireWriter().u16(ALG_NULL).toByteArray();
    }

    /** TPMT_SYM_DEF for parameter encryption in a salted session. */
    static byte[] symAes128Cfb() {
        return new WireWriter().u16(ALG_AES).u16(128).u16(ALG_CFB).toByteArray();
    }

    /** TPML_DIGEST_VALUES with one sha256 digest. */
    static byte[] sha256DigestValues(byte[] digest) {
        return new WireWriter().u32(1).u16(ALG_SHA256).bytes(digest).toByteArray();
    }

    /**
     * The policy digest of TPM2_PolicyPCR(sha256:15) when PCR 15 holds {@code pcrValue} (Part 3, PolicyPCR):
     * sha256(zeros || TPM_CC_PolicyPCR || pcrs || sha256(pcrValue)). The store lets the TPM compute it in a trial
     * session; this is the same computation, for checking.
     */
    static byte[] policyPcrDigest(byte[] pcrValue) {
        byte[] input = new WireWriter().bytes(new byte[32]).u32(CC_POLICY_PCR).bytes(pcrSelection())
                .bytes(sha256(pcrValue)).toByteArray();
        return sha256(input);
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}

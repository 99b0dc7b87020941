package dev.tether.tpm;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A TPM's endorsement key (EK) as the TPM reports it: the public area (TPM2B_PUBLIC) of the RSA 2048 EK of the TCG
 * EK Credential Profile (template L-1: restricted decryption key, AES-128-CFB, authPolicy
 * PolicySecret(TPM_RH_ENDORSEMENT), exponent 65537). Only a public area that is exactly that template is accepted,
 * so the key a credential is encrypted to is one the TPM keeps inside (fixedTPM) and uses only to decrypt
 * credentials and seeds (restricted).
 *
 * <p>Its {@linkplain #fingerprint() fingerprint} is {@code sha256:<hex>} over the DER SubjectPublicKeyInfo of the
 * public key, the same whether an administrator takes it from the EK certificate or from the EK public:
 * {@code openssl x509 -inform DER -in ek.crt -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum}.
 */
public final class EndorsementKey {
    static final int ALG_RSA = 0x0001;
    static final int KEY_BITS = 2048;
    /** TPMA_OBJECT of template L-1: fixedTPM, fixedParent, sensitiveDataOrigin, adminWithPolicy, restricted, decrypt. */
    static final int ATTRIBUTES = TpmStructures.FIXED_TPM | TpmStructures.FIXED_PARENT | TpmStructures.SENSITIVE_DATA_ORIGIN
            | TpmStructures.ADMIN_WITH_POLICY | TpmStructures.RESTRICTED | TpmStructures.DECRYPT;
    /** PolicySecret(TPM_RH_ENDORSEMENT): using the EK needs the endorsement hierarchy's authorization. */
    static final byte[] POLICY = HexFormat.of().parseHex("837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa");
    /** The EK's symmetric algorithm (AES-128-CFB) protects credentials made for it. */
    static final int SYMMETRIC_BITS = 128;

    private final byte[] tpm2bPublic;
    private final RSAPublicKey publicKey;

    private EndorsementKey(byte[] tpm2bPublic, RSAPublicKey publicKey) {
        this.tpm2bPublic = tpm2bPublic;
        this.publicKey = publicKey;
    }

    /**
     * The EK in {@code tpm2bPublic} (a TPM2B_PUBLIC, as {@code TPM2_CreatePrimary}, {@code TPM2_ReadPublic} or
     * {@code tpm2_createek -u} give it).
     *
     * @throws TpmException when it is not the RSA 2048 EK template L-1 (the message says what differs)
     */
    public static EndorsementKey parse(byte[] tpm2bPublic) throws TpmException {
        WireReader r = new WireReader(tpm2bPublic);
        if (r.u16() != r.remaining()) {
            throw new TpmException("The endorsement key's public area is not one TPM2B_PUBLIC (its size is not its length)");
        }
        if (r.u16() != ALG_RSA) {
            throw new TpmException("The endorsement key is not an RSA key; Tether accepts the RSA 2048 EK (TCG template L-1)");
        }
        if (tpm2bPublic.length != publicArea(new byte[KEY_BITS / 8]).length) {
            throw new TpmException("The endorsement key's public area is not the RSA 2048 EK template L-1 (wrong length)");
        }
        byte[] modulus = Arrays.copyOfRange(tpm2bPublic, tpm2bPublic.length - KEY_BITS / 8, tpm2bPublic.length);
        if (!Arrays.equals(tpm2bPublic, publicArea(modulus))) {
            throw new TpmException("The endorsement key's public area is not the TCG EK template L-1 (name algorithm, object"
                    + " attributes, policy, AES-128-CFB or exponent differ)");
        }
        if ((modulus[0] & 0x80) == 0) {
            throw new TpmException("The endorsement key's modulus is shorter than 2048 bits");
        }
        try {
            var spec = new RSAPublicKeySpec(new BigInteger(1, modulus), BigInteger.valueOf(65537));
            return new EndorsementKey(tpm2bPublic.clone(), (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(spec));
        } catch (GeneralSecurityException e) {
            throw new TpmException("The endorsement key's modulus is not an RSA public key: " + e.getMessage(), e);
        }
    }

    /** {@code sha256:<64 hex>} over the DER SubjectPublicKeyInfo of the EK's public key. */
    public String fingerprint() {
        return fingerprint(publicKey);
    }

    /** The fingerprint of any public key, e.g. the one in an EK certificate. */
    public static String fingerprint(PublicKey key) {
        return "sha256:" + HexFormat.of().formatHex(TpmStructures.sha256(key.getEncoded()));
    }

    public RSAPublicKey publicKey() {
        return publicKey;
    }

    /** The TPM2B_PUBLIC it was parsed from. */
    public byte[] tpm2bPublic() {
        return tpm2bPublic.clone();
    }

    /** The EK with this modulus (2048 bits, big-endian) in template L-1. */
    static EndorsementKey ofModulus(byte[] modulus) throws TpmException {
        return parse(publicArea(modulus));
    }

    /** TPM2B_PUBLIC of template L-1 for {@code TPM2_CreatePrimary} in the endorsement hierarchy (unique: 256 zeros). */
    static byte[] template() {
        return publicArea(new byte[KEY_BITS / 8]);
    }

    private static byte[] publicArea(byte[] modulus) {
        WireWriter t = new WireWriter()
                .u16(ALG_RSA).u16(TpmStructures.ALG_SHA256)
                .u32(ATTRIBUTES)
                .tpm2b(POLICY)
                .u16(TpmStructures.ALG_AES).u16(SYMMETRIC_BITS).u16(TpmStructures.ALG_CFB)
                .u16(TpmStructures.ALG_NULL) // scheme
                .u16(KEY_BITS)
                .u32(0) // exponent: 0 means 65537
                .tpm2b(modulus);
        return new WireWriter().tpm2b(t).toByteArray();
    }
}

package dev.tether.tpm;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;

/**
 * TPM2_MakeCredential done outside the TPM (TPM 2.0 Part 1, §24 "Credential Protection"; Part 3, MakeCredential):
 * a credential that only the TPM holding {@code ek} can recover, and only while an object named {@code objectName}
 * is loaded in it ({@code TPM2_ActivateCredential}).
 *
 * <ol>
 *   <li>a random seed as long as the EK's name-algorithm digest (32 bytes), encrypted to the EK with RSA-OAEP
 *       (SHA-256, MGF1-SHA-256, label {@code "IDENTITY\0"}): the TPM2B_ENCRYPTED_SECRET;</li>
 *   <li>symKey = KDFa(seed, "STORAGE", objectName, -, 128): AES-128-CFB (zero IV) over the credential as a
 *       TPM2B_DIGEST gives encIdentity;</li>
 *   <li>hmacKey = KDFa(seed, "INTEGRITY", -, -, 256): outerHMAC = HMAC-SHA256(hmacKey, encIdentity || objectName);</li>
 *   <li>credentialBlob (TPM2B_ID_OBJECT) = TPM2B(outerHMAC) || encIdentity.</li>
 * </ol>
 *
 * Checked against tpm2-tools ({@code tpm2_makecredential} output recovered here, and blobs made here activated by
 * {@code tpm2_activatecredential} on swtpm).
 */
public final class MakeCredential {
    private static final byte[] IDENTITY_LABEL = "IDENTITY\0".getBytes(StandardCharsets.US_ASCII);
    private static final int SEED_BYTES = 32;
    /** A credential is at most a digest of the EK's name algorithm (sha256). */
    public static final int MAX_CREDENTIAL_BYTES = 32;

    private MakeCredential() {}

    /** What the TPM takes in {@code TPM2_ActivateCredential}: TPM2B_ID_OBJECT and TPM2B_ENCRYPTED_SECRET, wire format. */
    public record Blob(byte[] credentialBlob, byte[] encryptedSecret) {
    }

    public static Blob make(EndorsementKey ek, byte[] objectName, byte[] credential, SecureRandom random) {
        if (credential.length == 0 || credential.length > MAX_CREDENTIAL_BYTES) {
            throw new IllegalArgumentException("A credential has 1 to " + MAX_CREDENTIAL_BYTES + " bytes, not " + credential.length);
        }
        byte[] seed = new byte[SEED_BYTES];
        random.nextBytes(seed);
        byte[] symKey = Kdfa.sha256(seed, "STORAGE", objectName, new byte[0], EndorsementKey.SYMMETRIC_BITS);
        byte[] hmacKey = Kdfa.sha256(seed, "INTEGRITY", new byte[0], new byte[0], 256);
        byte[] plain = new WireWriter().tpm2b(credential).toByteArray();
        try {
            Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
            oaep.init(Cipher.ENCRYPT_MODE, ek.publicKey(), new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256,
                    new PSource.PSpecified(IDENTITY_LABEL)), random);
            byte[] encryptedSeed = oaep.doFinal(seed);

            Cipher cfb = Cipher.getInstance("AES/CFB/NoPadding");
            cfb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(symKey, "AES"), new IvParameterSpec(new byte[16]));
            byte[] encIdentity = cfb.doFinal(plain);

            Mac hmac = Mac.getInstance("HmacSHA256");
            hmac.init(new SecretKeySpec(hmacKey, "HmacSHA256"));
            hmac.update(encIdentity);
            byte[] outerHmac = hmac.doFinal(objectName);

            byte[] idObject = new WireWriter().tpm2b(new WireWriter().tpm2b(outerHmac).bytes(encIdentity)).toByteArray();
            return new Blob(idObject, new WireWriter().tpm2b(encryptedSeed).toByteArray());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA-OAEP(SHA-256), AES-CFB and HmacSHA256 are standard JCE algorithms", e);
        } finally {
            Arrays.fill(seed, (byte) 0);
            Arrays.fill(symKey, (byte) 0);
            Arrays.fill(hmacKey, (byte) 0);
            Arrays.fill(plain, (byte) 0);
        }
    }
}

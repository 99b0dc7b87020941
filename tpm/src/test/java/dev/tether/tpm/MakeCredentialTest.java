package dev.tether.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * MakeCredential without a TPM: a blob made by tpm2-tools' {@code tpm2_makecredential} (test resources, see their
 * README) is recovered here by the TPM's side of the algorithm with the key's private half, which pins KDFa, the OAEP
 * label, AES-CFB and the HMAC to what tpm2-tools does; and ours round-trips through the same recovery.
 */
class MakeCredentialTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void aCredentialThatTpm2ToolsMadeIsRecoveredByTheTpmSideOfTheAlgorithm() throws Exception {
        byte[] file = resource("tpm2_makecredential.out");
        WireReader r = new WireReader(file);
        assertThat(r.u32()).as("tpm2-tools credential file magic").isEqualTo(0xBADCC0DE);
        assertThat(r.u32()).as("version").isEqualTo(1);
        byte[] idObject = r.tpm2b();
        byte[] encryptedSeed = r.tpm2b();

        byte[] recovered = activate(privateKey(), name(), idObject, encryptedSeed);

        assertThat(recovered).isEqualTo(resource("credential.bin"));
    }

    @Test
    void ourCredentialIsRecoveredTheSameWayAndHasTheSizesTheToolsWrite() throws Exception {
        EndorsementKey ek = EndorsementKey.ofModulus(modulus(publicKey()));
        byte[] credential = new byte[32];
        new SecureRandom().nextBytes(credential);

        MakeCredential.Blob blob = MakeCredential.make(ek, name(), credential, new SecureRandom());

        assertThat(blob.credentialBlob()).hasSize(2 + 2 + 32 + 2 + 32); // TPM2B(TPM2B(hmac) || CFB(TPM2B(credential)))
        assertThat(blob.encryptedSecret()).hasSize(2 + 256);
        WireReader id = new WireReader(blob.credentialBlob());
        assertThat(activate(privateKey(), name(), id.tpm2b(), new WireReader(blob.encryptedSecret()).tpm2b())).isEqualTo(credential);
    }

    @Test
    void aCredentialBoundToAnotherNameDoesNotVerify() throws Exception {
        EndorsementKey ek = EndorsementKey.ofModulus(modulus(publicKey()));
        MakeCredential.Blob blob = MakeCredential.make(ek, name(), new byte[32], new SecureRandom());
        byte[] otherName = name().clone();
        otherName[5] ^= 1;

        assertThatThrownBy(() -> activate(privateKey(), otherName, new WireReader(blob.credentialBlob()).tpm2b(),
                new WireReader(blob.encryptedSecret()).tpm2b()))
                .hasMessageContaining("integrity");
    }

    @Test
    void theFingerprintIsOverTheSubjectPublicKeyInfoAsOpensslPrintsIt() throws Exception {
        RSAPublicKey key = publicKey();
        EndorsementKey ek = EndorsementKey.ofModulus(modulus(key));

        // openssl pkey -pubin -in rsa2048.pub.pem -outform DER | sha256sum
        byte[] der = Base64.getMimeDecoder().decode(new String(resource("rsa2048.pub.pem"), StandardCharsets.US_ASCII)
                .replaceAll("-----[A-Z ]+-----", ""));
        assertThat(ek.fingerprint()).isEqualTo("sha256:" + HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(der)));
    }

    @Test
    void onlyTheEkTemplateIsAccepted() throws Exception {
        byte[] area = EndorsementKey.ofModulus(modulus(publicKey())).tpm2bPublic();
        byte[] signing = area.clone();
        signing[7] |= 0x04; // TPMA_OBJECT (big-endian at offset 6) bit 18: sign, as well as decrypt

        assertThatThrownBy(() -> EndorsementKey.parse(signing)).isInstanceOf(TpmException.class).hasMessageContaining("template L-1");
        assertThatThrownBy(() -> EndorsementKey.parse(Arrays.copyOf(area, 40))).isInstanceOf(TpmException.class);
        assertThatThrownBy(() -> EndorsementKey.parse(TpmStructures.storageKeyTemplate()))
                .isInstanceOf(TpmException.class).hasMessageContaining("not an RSA key");
    }

    /**
     * What TPM2_ActivateCredential does with the EK's private key (Part 1 §24): OAEP-decrypt the seed, check the
     * outer HMAC over encIdentity || name, then AES-CFB-decrypt the TPM2B credential.
     */
    static byte[] activate(PrivateKey ek, byte[] name, byte[] idObject, byte[] encryptedSeed) throws GeneralSecurityException, TpmException {
        Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
        oaep.init(Cipher.DECRYPT_MODE, ek, new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256,
                new PSource.PSpecified("IDENTITY\0".getBytes(StandardCharsets.US_ASCII))));
        byte[] seed = oaep.doFinal(encryptedSeed);
        WireReader id = new WireReader(idObject);
        byte[] outerHmac = id.tpm2b();
        byte[] encIdentity = id.bytes(id.remaining());
        Mac hmac = Mac.getInstance("HmacSHA256");
        hmac.init(new SecretKeySpec(Kdfa.sha256(seed, "INTEGRITY", new byte[0], new byte[0], 256), "HmacSHA256"));
        hmac.update(encIdentity);
        if (!MessageDigest.isEqual(hmac.doFinal(name), outerHmac)) {
            throw new TpmException("integrity check failed (TPM_RC_INTEGRITY)");
        }
        Cipher cfb = Cipher.getInstance("AES/CFB/NoPadding");
        cfb.init(Cipher.DECRYPT_MODE, new SecretKeySpec(Kdfa.sha256(seed, "STORAGE", name, new byte[0], 128), "AES"),
                new IvParameterSpec(new byte[16]));
        return new WireReader(cfb.doFinal(encIdentity)).tpm2b();
    }

    private static byte[] name() throws IOException {
        return HEX.parseHex(new String(resource("object-name.hex"), StandardCharsets.US_ASCII).trim());
    }

    private static PrivateKey privateKey() throws Exception {
        String pem = new String(resource("rsa2048.key.pem"), StandardCharsets.US_ASCII);
        if (pem.contains("BEGIN RSA PRIVATE KEY")) {
            throw new IllegalStateException("the fixture must be PKCS#8 (BEGIN PRIVATE KEY)");
        }
        byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
    }

    private static RSAPublicKey publicKey() throws Exception {
        byte[] der = Base64.getMimeDecoder().decode(new String(resource("rsa2048.pub.pem"), StandardCharsets.US_ASCII)
                .replaceAll("-----[A-Z ]+-----", ""));
        return (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
    }

    private static byte[] modulus(RSAPublicKey key) {
        byte[] m = key.getModulus().toByteArray();
        return m.length == 257 ? Arrays.copyOfRange(m, 1, 257) : m;
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = MakeCredentialTest.class.getResourceAsStream("/makecredential/" + name)) {
            if (in == null) {
                throw new IOException("missing test resource makecredential/" + name);
            }
            return in.readAllBytes();
        }
    }
}

package dev.tether.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Credential activation on two real TPMs (swtpm, each manufactured with its own EK and EK certificate): the EK the
 * agent shows is the one its certificate names; a credential made in Java for it is recovered by that TPM, by our
 * Esys code and by {@code tpm2_activatecredential} alike; the other TPM cannot recover it.
 */
class Tpm2IdentityTest {
    @TempDir
    static Path tmp;

    private static Swtpm genuine;
    private static Swtpm other;

    @BeforeAll
    static void startTpms() throws Exception {
        Swtpm.assumeAvailable();
        genuine = Swtpm.startManufactured(tmp.resolve("genuine"));
        other = Swtpm.startManufactured(tmp.resolve("other"));
    }

    /** swtpm has no resource manager: a restart clears what tpm2-tools left loaded. */
    @BeforeEach
    void reboot() throws Exception {
        genuine.reboot();
        other.reboot();
    }

    @AfterAll
    static void stopTpms() {
        if (genuine != null) {
            genuine.close();
        }
        if (other != null) {
            other.close();
        }
    }

    @Test
    void theEndorsementKeyShownIsTheOneTheManufacturersCertificateNames() throws Exception {
        X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(genuine.ekCertificate()));

        try (SealedSecretStore store = Tpm2.open(genuine.tcti()); TpmIdentity identity = store.identity().orElseThrow()) {
            assertThat(identity.endorsementKey().fingerprint()).isEqualTo(EndorsementKey.fingerprint(certificate.getPublicKey()));
        }
    }

    @Test
    void theTpmRecoversACredentialMadeInJavaForItsEk() throws Exception {
        byte[] credential = random(32);
        try (SealedSecretStore store = Tpm2.open(genuine.tcti()); TpmIdentity identity = store.identity().orElseThrow()) {
            MakeCredential.Blob blob = MakeCredential.make(identity.endorsementKey(), identity.activationKey().name(), credential,
                    new SecureRandom());

            assertThat(identity.activateCredential(blob.credentialBlob(), blob.encryptedSecret())).isEqualTo(credential);
        }
    }

    @Test
    void anotherTpmCannotRecoverIt() throws Exception {
        EndorsementKey genuineEk;
        byte[] genuineName;
        try (SealedSecretStore store = Tpm2.open(genuine.tcti()); TpmIdentity identity = store.identity().orElseThrow()) {
            genuineEk = identity.endorsementKey();
            genuineName = identity.activationKey().name();
        }
        MakeCredential.Blob blob = MakeCredential.make(genuineEk, genuineName, random(32), new SecureRandom());

        try (SealedSecretStore store = Tpm2.open(other.tcti()); TpmIdentity thief = store.identity().orElseThrow()) {
            assertThat(thief.endorsementKey().fingerprint()).isNotEqualTo(genuineEk.fingerprint());
            assertThatThrownBy(() -> thief.activateCredential(blob.credentialBlob(), blob.encryptedSecret()))
                    .as("the seed is encrypted to the genuine EK: the other TPM's OAEP decryption fails")
                    .isInstanceOf(TpmException.class)
                    .hasMessageContaining("Esys_ActivateCredential");
            // Even bound to the thief's own storage key name, the seed stays the genuine EK's.
            MakeCredential.Blob rebound = MakeCredential.make(genuineEk, thief.activationKey().name(), random(32), new SecureRandom());
            assertThatThrownBy(() -> thief.activateCredential(rebound.credentialBlob(), rebound.encryptedSecret()))
                    .isInstanceOf(TpmException.class);
        }
    }

    @Test
    void tpm2ToolsActivatesACredentialMadeInJava() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("tools"));
        String ekCtx = dir.resolve("ek.ctx").toString();
        String akCtx = dir.resolve("ak.ctx").toString();
        genuine.tools("tpm2_createek", "-c", ekCtx, "-G", "rsa", "-u", dir.resolve("ek.pub").toString());
        genuine.tools("tpm2_createak", "-C", ekCtx, "-c", akCtx, "-G", "rsa", "-g", "sha256", "-s", "rsassa",
                "-u", dir.resolve("ak.pub").toString(), "-n", dir.resolve("ak.name").toString());
        genuine.tools("tpm2_flushcontext", "-t");
        EndorsementKey ek = EndorsementKey.parse(Files.readAllBytes(dir.resolve("ek.pub")));
        byte[] credential = random(32);
        MakeCredential.Blob blob = MakeCredential.make(ek, Files.readAllBytes(dir.resolve("ak.name")), credential, new SecureRandom());
        // The tools' credential file: magic, version, TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET.
        Files.write(dir.resolve("cred.blob"), new WireWriter().u32(0xBADCC0DE).u32(1).bytes(blob.credentialBlob())
                .bytes(blob.encryptedSecret()).toByteArray());

        String session = dir.resolve("session.ctx").toString();
        genuine.tools("tpm2_startauthsession", "--policy-session", "-S", session);
        genuine.tools("tpm2_policysecret", "-S", session, "-c", "e");
        genuine.tools("tpm2_activatecredential", "-c", akCtx, "-C", ekCtx, "-i", dir.resolve("cred.blob").toString(),
                "-o", dir.resolve("out.bin").toString(), "-P", "session:" + session);
        genuine.tools("tpm2_flushcontext", session);

        assertThat(HexFormat.of().formatHex(Files.readAllBytes(dir.resolve("out.bin")))).isEqualTo(HexFormat.of().formatHex(credential));
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }
}

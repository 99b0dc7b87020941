package dev.tether.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.jna.Memory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Our wire structures survive libtss2-mu both ways: the C structure sizes and our layouts agree with it. */
class MuTest {
    private static Mu mu;

    @BeforeAll
    static void load() throws Exception {
        Swtpm.assumeLibraries();
        mu = Tpm2.libraries().mu();
    }

    @Test
    void everyStructureWeSendRoundTrips() throws Exception {
        roundTrip(Mu.Type.TPM2B_PUBLIC, TpmStructures.storageKeyTemplate());
        roundTrip(Mu.Type.TPM2B_PUBLIC, TpmStructures.sealedObjectTemplate(new byte[32]));
        roundTrip(Mu.Type.TPM2B_SENSITIVE_CREATE, TpmStructures.sensitiveCreate(new byte[Tpm2.MAX_SECRET_BYTES]));
        roundTrip(Mu.Type.TPML_PCR_SELECTION, TpmStructures.pcrSelection());
        roundTrip(Mu.Type.TPML_PCR_SELECTION, TpmStructures.noPcrSelection());
        roundTrip(Mu.Type.TPM2B_DATA, TpmStructures.emptyTpm2b());
        roundTrip(Mu.Type.TPM2B_DIGEST, TpmStructures.emptyTpm2b());
        roundTrip(Mu.Type.TPMT_SYM_DEF, TpmStructures.symNull());
        roundTrip(Mu.Type.TPMT_SYM_DEF, TpmStructures.symAes128Cfb());
        roundTrip(Mu.Type.TPML_DIGEST_VALUES, TpmStructures.sha256DigestValues(TpmStructures.LOCK_DIGEST));
    }

    @Test
    void aMalformedStructureIsRefused() {
        // A TPM2B_SENSITIVE_CREATE whose outer size disagrees with its contents.
        assertThatThrownBy(() -> mu.toNative(Mu.Type.TPM2B_SENSITIVE_CREATE, new byte[] {0, 9, 0, 0, 0, 1, 5}))
                .isInstanceOf(TpmException.class).hasMessageContaining("TPM2B_SENSITIVE_CREATE");
        assertThatThrownBy(() -> mu.toNative(Mu.Type.TPML_PCR_SELECTION, new byte[] {0, 0}))
                .isInstanceOf(TpmException.class);
    }

    private static void roundTrip(Mu.Type type, byte[] wire) throws Exception {
        Memory m = mu.toNative(type, wire);
        try {
            assertThat(mu.fromNative(type, m)).as(type.name()).isEqualTo(wire);
        } finally {
            Mu.wipe(m);
        }
    }
}

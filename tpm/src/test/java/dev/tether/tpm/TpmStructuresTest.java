package dev.tether.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The wire format we build, checked byte for byte against TPM 2.0 Part 2, and the response-code triage. */
class TpmStructuresTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void pcrSelectionIsPcr15InTheSha256Bank() {
        // count 1, TPM_ALG_SHA256, sizeofSelect 3, bitmap with bit 7 of byte 1
        assertThat(HEX.formatHex(TpmStructures.pcrSelection())).isEqualTo("00000001" + "000b" + "03" + "008000");
    }

    @Test
    void sealedObjectTemplateIsPolicyOnlyKeyedHash() throws Exception {
        byte[] policy = new byte[32];
        policy[0] = 0x11;
        WireReader r = new WireReader(TpmStructures.sealedObjectTemplate(policy));
        assertThat(r.u16()).isEqualTo(r.remaining());
        assertThat(r.u16()).isEqualTo(0x0008); // TPM_ALG_KEYEDHASH
        assertThat(r.u16()).isEqualTo(0x000b); // nameAlg sha256
        assertThat(r.u32()).isEqualTo(0x00000492); // fixedTPM | fixedParent | adminWithPolicy | noDA
        assertThat(r.tpm2b()).isEqualTo(policy);
        assertThat(r.u16()).isEqualTo(0x0010); // scheme NULL
        assertThat(r.tpm2b()).isEmpty(); // unique
        assertThat(r.remaining()).isZero();
    }

    @Test
    void storageKeyIsTheTcgEccSrkTemplate() {
        assertThat(HEX.formatHex(TpmStructures.storageKeyTemplate())).isEqualTo(
                "001a" + "0023" + "000b" + "00030472" + "0000" + "0006" + "0080" + "0043" + "0010" + "0003" + "0010"
                        + "0000" + "0000");
    }

    @Test
    void sensitiveCreateNestsAuthAndData() {
        assertThat(HEX.formatHex(TpmStructures.sensitiveCreate(new byte[] {1, 2, 3}))).isEqualTo("0007" + "0000" + "0003010203");
    }

    @Test
    void lockDigestIsSha256OfTheContractString() {
        assertThat(HEX.formatHex(TpmStructures.LOCK_DIGEST)).isEqualTo(
                HEX.formatHex(TpmStructures.sha256("tether: initramfs done".getBytes(java.nio.charset.StandardCharsets.UTF_8))));
        assertThat(HEX.formatHex(TpmStructures.sha256DigestValues(TpmStructures.LOCK_DIGEST)))
                .startsWith("00000001000b").hasSize(2 * (4 + 2 + 32));
    }

    @Test
    void policyMismatchIsTellingApartFromOtherFailures() {
        assertThat(Tpm2Store.isPolicyMismatch(0x99d)).as("policy fail, session 1").isTrue();
        assertThat(Tpm2Store.isPolicyMismatch(0x09d)).as("policy fail, no session number").isTrue();
        assertThat(Tpm2Store.isPolicyMismatch(0x11d)).as("format 0 with the same low bits").isFalse();
        assertThat(Tpm2Store.isPolicyMismatch(0x128)).as("PCR changed").isTrue();
        assertThat(Tpm2Store.isPolicyMismatch(0x98e)).as("auth fail").isFalse();
        assertThat(Tpm2Store.isPolicyMismatch(0x7099d)).as("not the TPM layer").isFalse();
        assertThat(Tpm2Store.isPolicyMismatch(0)).isFalse();
    }

    @Test
    void wireWriterAndReaderAgree() throws Exception {
        byte[] b = new WireWriter().u8(0xfe).u16(0xbeef).u32(0xdeadbeef).tpm2b(new byte[] {9}).toByteArray();
        WireReader r = new WireReader(b);
        assertThat(r.u8()).isEqualTo(0xfe);
        assertThat(r.u16()).isEqualTo(0xbeef);
        assertThat(r.u32()).isEqualTo(0xdeadbeef);
        assertThat(r.tpm2b()).containsExactly(9);
        assertThatThrownBy(r::u8).isInstanceOf(TpmException.class).hasMessageContaining("Truncated");
        assertThatThrownBy(() -> new WireReader(new byte[] {0, 5, 1}).tpm2b()).isInstanceOf(TpmException.class);
    }

    @Test
    void wireWriterGrowsPastItsFirstBuffer() {
        byte[] big = new byte[1000];
        big[999] = 7;
        byte[] out = new WireWriter().u32(1).bytes(big).toByteArray();
        assertThat(out).hasSize(1004);
        assertThat(out[1003]).isEqualTo((byte) 7);
    }
}

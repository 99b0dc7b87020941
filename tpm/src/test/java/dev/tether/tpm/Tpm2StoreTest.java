package dev.tether.tpm;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sealing on a real TPM 2.0 emulator (swtpm), one per class; every test starts from a fresh "boot". */
class Tpm2StoreTest {
    private static final byte[] SECRET = "node-api-key-0123456789abcdef".getBytes(UTF_8);
    private static final HexFormat HEX = HexFormat.of();

    @TempDir
    static Path tmp;

    private static Swtpm tpm;

    @BeforeAll
    static void startTpm() throws Exception {
        Swtpm.assumeAvailable();
        tpm = Swtpm.start(tmp.resolve("state"));
    }

    @AfterAll
    static void stopTpm() throws Exception {
        if (tpm != null) {
            tpm.close();
        }
    }

    @BeforeEach
    void reboot() throws Exception {
        tpm.reboot();
    }

    @Test
    void sealThenUnsealReturnsTheSecret() throws Exception {
        try (SealedSecretStore store = Tpm2.open(tpm.tcti())) {
            store.seal(SECRET);
            assertThat(store.unseal()).hasValueSatisfying(s -> assertThat(s).isEqualTo(SECRET));
        }
    }

    @Test
    void aSecondConnectionUnsealsTheSameSecret() throws Exception {
        try (SealedSecretStore store = Tpm2.open(tpm.tcti())) {
            store.seal(SECRET);
        }
        try (SealedSecretStore store = Tpm2.open(tpm.tcti())) {
            assertThat(store.unseal()).hasValueSatisfying(s -> assertThat(s).isEqualTo(SECRET));
        }
    }

    @Test
    void afterLockUnsealIsEmptyUntilReboot() throws Exception {
        try (SealedSecretStore store = Tpm2.open(tpm.tcti())) {
            store.seal(SECRET);
            store.lock();
            assertThat(store.unseal()).isEmpty();
        }
        try (SealedSecretStore store = Tpm2.open(tpm.tcti())) {
            assertThat(store.unseal()).as("a new connection in the same boot").isEmpty();
        }
        tpm.reboot();
        try (SealedSecretStore store = Tpm2.open(tpm.tcti())) {
            assertThat(store.unseal()).as("after a reboot").hasValueSatisfying(s -> assertThat(s).isEqualTo(SECRET));
        }
    }

    @Test
    void lockExtendsPcr15WithTheContractDigest() throws Exception {
        assumeTrue(Swtpm.onPath("tpm2_pcrread"), "tpm2-tools not installed (Debian package tpm2-tools)");
        assertThat(pcr15()).isEqualTo(new byte[32]);
        try (SealedSecretStore store = Tpm2.open(tpm.tcti())) {
            store.lock();
        }
        byte[] expected = TpmStructures.sha256(concat(new byte[32],
                TpmStructures.sha256("tether: initramfs done".getBytes(UTF_8))));
        assertThat(pcr15()).isEqualTo(expected);
    }

    @Test
    void sealAfterLockIsRefused() throws Exception {
        try (SealedSecretStore store = Tpm2.open(tpm.tcti())) {
            store.lock();
            assertThatThrownBy(() -> store.seal(SECRET)).isInstanceOf(TpmException.class)
                    .hasMessageContaining("after lock()");
        }
    }

    @Test
    void sealingAgainReplacesTheSecret() throws Exception {
        byte[] second = "the second key".getBytes(UTF_8);
        try (SealedSecretStore store = Tpm2.open(tpm.tcti())) {
            store.seal(SECRET);
            store.seal(second);
            assertThat(store.unseal()).hasValueSatisfying(s -> assertThat(s).isEqualTo(second));
        }
        tpm.reboot();
        try (SealedSecretStore store = Tpm2.open(tpm.tcti())) {
            assertThat(store.unseal()).hasValueSatisfying(s -> assertThat(s).isEqualTo(second));
        }
    }

    @Test
    void secretsOfOneTo128BytesAreSealed() throws Exception {
        byte[] largest = new byte[Tpm2.MAX_SECRET_BYTES];
        for (int i = 0; i < largest.length; i++) {
            largest[i] = (byte) (i * 7 + 1);
        }
        try (SealedSecretStore store = Tpm2.open(tpm.tcti())) {
            store.seal(largest);
            assertThat(store.unseal()).hasValueSatisfying(s -> assertThat(s).isEqualTo(largest));
            store.seal(new byte[] {0});
            assertThat(store.unseal()).hasValueSatisfying(s -> assertThat(s).containsExactly(0));
            assertThatThrownBy(() -> store.seal(new byte[0])).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.seal(new byte[Tpm2.MAX_SECRET_BYTES + 1]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("129");
        }
    }

    @Test
    void tpm2ToolsSeeThePersistentObjectAndItsPcrPolicy() throws Exception {
        assumeTrue(Swtpm.onPath("tpm2_readpublic"), "tpm2-tools not installed (Debian package tpm2-tools)");
        try (SealedSecretStore store = Tpm2.open(tpm.tcti())) {
            store.seal(SECRET);
        }
        String pub = tpm.tools("tpm2_readpublic", "-c", "0x81010015");
        assertThat(pub).contains("keyedhash").contains("fixedtpm").contains("fixedparent").contains("adminwithpolicy")
                .doesNotContain("userwithauth");
        // The policy the TPM computed in the trial session is PolicyPCR(sha256:15) over the reset value of PCR 15.
        assertThat(pub).containsIgnoringCase("authorization policy: "
                + HEX.formatHex(TpmStructures.policyPcrDigest(new byte[32])));
    }

    @Test
    void theSecretNeverCrossesTheWireInClear() throws Exception {
        byte[] secret = "a-secret-that-must-stay-off-the-bus".getBytes(UTF_8);
        try (RecordingProxy bus = new RecordingProxy(tpm.port())) {
            String tcti = "swtpm:host=127.0.0.1,port=" + bus.port();
            try (SealedSecretStore store = Tpm2.open(tcti)) {
                store.seal(secret);
                assertThat(store.unseal()).hasValueSatisfying(s -> assertThat(s).isEqualTo(secret));
            }
            // Both the Create command and the Unseal response went through the proxy, encrypted.
            assertThat(bus.seen()).hasSizeGreaterThan(1000);
            assertThat(indexOf(bus.seen(), secret)).as("secret in the recorded traffic").isEqualTo(-1);
            assertThat(indexOf(bus.seen(), TpmStructures.LOCK_DIGEST)).isEqualTo(-1);
        }
    }

    @Test
    void closedStoreRefusesWork() throws Exception {
        SealedSecretStore store = Tpm2.open(tpm.tcti());
        store.close();
        store.close(); // twice is fine
        assertThatThrownBy(store::unseal).isInstanceOf(TpmException.class).hasMessageContaining("closed");
    }

    private static byte[] pcr15() throws Exception {
        String out = tpm.tools("tpm2_pcrread", "sha256:15");
        // "  sha256:\n    15: 0x1234..."
        String hex = out.substring(out.indexOf("15:") + 3).trim().split("\\s+")[0];
        return HEX.parseHex(hex.substring(2));
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}

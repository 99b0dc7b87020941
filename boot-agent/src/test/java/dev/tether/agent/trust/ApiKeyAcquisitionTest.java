package dev.tether.agent.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.tpm.SealedSecretStore;
import dev.tether.tpm.TpmException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The TPM policy table: required / preferred / disabled × TPM present or absent × a key sealed or not ×
 * credential armed or disarmed. The TPM is an in-memory store that models PCR 15; a swtpm-backed store from
 * the tpm module replaces it in {@link #tpm()} once that lands.
 */
class ApiKeyAcquisitionTest {
    private static final String SEALED_KEY = "tk_sealedKeyFromAnEarlierBoot0123456789";

    @TempDir
    Path temp;

    /** The one line to change for the real TPM: a swtpm-backed store instead of the in-memory one. */
    private static InMemoryTpm tpm() {
        return new InMemoryTpm();
    }

    static Stream<Arguments> table() {
        List<Arguments> rows = new ArrayList<>();
        for (TpmPolicy policy : TpmPolicy.values()) {
            for (boolean tpmPresent : List.of(true, false)) {
                for (boolean sealed : List.of(true, false)) {
                    for (boolean armed : List.of(true, false)) {
                        rows.add(Arguments.of(policy, tpmPresent, sealed, armed));
                    }
                }
            }
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "{0}, TPM {1}, sealed {2}, armed {3}")
    @MethodSource("table")
    void thePolicyTable(TpmPolicy policy, boolean tpmPresent, boolean sealed, boolean armed) throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp)) {
            FakeNodeApi.Node credential = fixture.credential("continuous", armed);
            InMemoryTpm tpm = tpm();
            if (sealed) {
                tpm.withSealed(fixture.enrolment(SEALED_KEY));
                credential.key = SEALED_KEY;
            }
            List<String> opened = new ArrayList<>();
            TpmAccess access = () -> {
                opened.add("open");
                return tpmPresent ? tpm.access().open() : Optional.empty();
            };
            ApiKeyAcquisition acquisition = new ApiKeyAcquisition(fixture.client(1), fixture.ca(), access, TrustFixture::hardware,
                    fixture.console);

            boolean usesTpm = policy != TpmPolicy.DISABLED && tpmPresent;
            boolean fromTpm = usesTpm && sealed;
            boolean stops = policy == TpmPolicy.REQUIRED && !tpmPresent;
            boolean network = !stops && !fromTpm;

            if (stops) {
                assertThatThrownBy(() -> acquisition.acquire(policy)).isInstanceOf(TrustException.class)
                        .hasMessageStartingWith("the profile requires a TPM (tpmPolicy: required) and this machine has none");
                assertThat(fixture.api.requests).as("no key is asked for").isEmpty();
            } else if (network && !armed) {
                assertThatThrownBy(() -> acquisition.acquire(policy)).isInstanceOf(TrustException.class)
                        .hasMessageStartingWith("NodeCredential hpc/n1 is disarmed and ")
                        .hasMessageContaining("kubectl annotate -n hpc nodecredential n1 tether.dev/rearm=")
                        .hasMessageNotContaining("\n");
            } else {
                ApiKeyAcquisition.Result result = acquisition.acquire(policy);
                assertThat(result.source()).isEqualTo(fromTpm ? KeySource.TPM : KeySource.NETWORK);
                assertThat(result.key().authorization()).isEqualTo("Bearer " + credential.key);
                assertThat(result.bootConfiguration()).as("a sealed key is checked with the boot configuration")
                        .isEqualTo(fromTpm ? Optional.of(credential.config) : Optional.empty());
                if (usesTpm) {
                    assertThat(tpm.sealedSecret()).as("the key in the TPM").contains(credential.key);
                }
            }
            assertThat(opened).as("the TPM is opened unless the policy disables it")
                    .hasSize(policy == TpmPolicy.DISABLED ? 0 : 1);
            if (usesTpm) {
                assertThat(tpm.locked()).as("PCR 15 extended").isTrue();
                assertThat(tpm.calls).last().isEqualTo("close");
                assertThat(tpm.calls.get(tpm.calls.size() - 2)).isEqualTo("lock");
            } else {
                assertThat(tpm.calls).isEmpty();
            }
            assertNoSecrets(fixture, credential);
        }
    }

    @Test
    void aOnceCredentialGivesOneKeyThenTheTpmCarriesTheNodeThroughReboots() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp)) {
            FakeNodeApi.Node credential = fixture.credential("once", true);
            InMemoryTpm tpm = tpm();
            ApiKeyAcquisition acquisition = new ApiKeyAcquisition(fixture.client(1), fixture.ca(), tpm.access(), TrustFixture::hardware,
                    fixture.console);
            ApiKeyAcquisition.Result first = acquisition.acquire(TpmPolicy.REQUIRED);
            assertThat(first.source()).isEqualTo(KeySource.NETWORK);
            assertThat(credential.armed).as("once: disarmed by the fetch").isFalse();
            assertThat(tpm.calls).containsExactly("open", "unseal", "seal", "lock", "close");
            // Later in the same boot nothing unseals any more.
            assertThat(tpm.access().open().orElseThrow().unseal()).isEmpty();

            tpm.reboot();
            ApiKeyAcquisition.Result second = acquisition.acquire(TpmPolicy.REQUIRED);
            assertThat(second.source()).isEqualTo(KeySource.TPM);
            assertThat(credential.issued).isEqualTo(1);
            assertThat(tpm.calls).containsExactly("open", "unseal", "lock", "close");
            assertThat(fixture.output()).contains("tether: API key unsealed from the TPM")
                    .contains("tether: PCR 15 extended");
            assertNoSecrets(fixture, credential);
        }
    }

    @Test
    void aKeyFromTheNetworkAndTheRestOfTheBootShareOneTlsConnection() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp)) {
            fixture.credential("continuous", true);
            ApiKeyAcquisition.Result result = new ApiKeyAcquisition(fixture.client(1), fixture.ca(), TpmAccess.NONE,
                    TrustFixture::hardware, fixture.console).acquire(TpmPolicy.PREFERRED);
            result.api().bootConfiguration(result.key());

            assertThat(fixture.api.requests).hasSize(2);
            assertThat(fixture.api.clientPorts).as("the key's request and the boot configuration's, by client port:"
                    + " one connection, one TLS handshake").hasSize(2).containsOnly(fixture.api.clientPorts.get(0));
        }
    }

    @Test
    void aSealedKeyTheOperatorReplacedIsSwappedForANewOneBeforeTheLock() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp)) {
            FakeNodeApi.Node credential = fixture.credential("once", true);
            InMemoryTpm tpm = tpm().withSealed(fixture.enrolment(SEALED_KEY));
            ApiKeyAcquisition.Result result = new ApiKeyAcquisition(fixture.client(1), fixture.ca(), tpm.access(), TrustFixture::hardware,
                    fixture.console).acquire(TpmPolicy.PREFERRED);
            assertThat(result.source()).isEqualTo(KeySource.NETWORK);
            assertThat(tpm.sealedSecret()).contains(credential.key).isNotEqualTo(Optional.of(SEALED_KEY));
            assertThat(tpm.calls).containsExactly("open", "unseal", "seal", "lock", "close");
            assertThat(fixture.output()).contains("the node API no longer accepts the key sealed in the TPM");
        }
    }

    @Test
    void disarmedWithAnEmptyTpmNamesTheCredentialAndTheRearmCommand() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp)) {
            fixture.credential("once", false);
            InMemoryTpm tpm = tpm();
            assertThatThrownBy(() -> new ApiKeyAcquisition(fixture.client(1), fixture.ca(), tpm.access(), TrustFixture::hardware,
                    fixture.console).acquire(TpmPolicy.REQUIRED))
                    .hasMessage("NodeCredential hpc/n1 is disarmed and the TPM holds no key, so the node has no API key;"
                            + " re-arm it with `kubectl annotate -n hpc nodecredential n1 tether.dev/rearm=\"$(date +%s)\""
                            + " --overwrite` (if it has spec.armedUntil, also set a later one) and reboot the node (a node"
                            + " that fetches its key at every boot needs"
                            + " spec.arming: continuous) (node API: NodeCredential hpc/n1 is not armed)");
            assertThat(tpm.calls).containsExactly("open", "unseal", "lock", "close");
        }
    }

    @Test
    void otherHardwareAndUnknownNodesAreToldApart() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp)) {
            fixture.credential("continuous", true).macs = List.of("52:54:00:00:00:99");
            ApiKeyAcquisition other = new ApiKeyAcquisition(fixture.client(1), fixture.ca(), TpmAccess.NONE, TrustFixture::hardware,
                    fixture.console);
            assertThatThrownBy(() -> other.acquire(TpmPolicy.PREFERRED))
                    .hasMessageStartingWith("the node API will not issue a key for NodeCredential hpc/n1 to this machine"
                            + " (MAC 52:54:00:12:34:56; no readable SMBIOS UUID)");
            fixture.api.nodes.clear();
            assertThatThrownBy(() -> other.acquire(TpmPolicy.PREFERRED))
                    .hasMessageStartingWith("the node API knows no NodeCredential with spec.nodeName n1 in namespace hpc");
        }
    }

    @Test
    void aTpmThatCannotBeUsedStopsRequiredAndIsSkippedByPreferred() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp)) {
            fixture.credential("continuous", true);
            TpmAccess broken = () -> {
                throw new TpmException("TPM2_Startup failed: TPM_RC_FAILURE");
            };
            ApiKeyAcquisition acquisition = new ApiKeyAcquisition(fixture.client(1), fixture.ca(), broken, TrustFixture::hardware,
                    fixture.console);
            assertThatThrownBy(() -> acquisition.acquire(TpmPolicy.REQUIRED))
                    .hasMessageContaining("requires a TPM (tpmPolicy: required) and this machine's TPM cannot be used:"
                            + " TPM2_Startup failed");
            assertThat(acquisition.acquire(TpmPolicy.PREFERRED).source()).isEqualTo(KeySource.NETWORK);
            assertThat(fixture.output()).contains("the TPM cannot be used (TPM2_Startup failed: TPM_RC_FAILURE)");
        }
    }

    @Test
    void aFailedLockStopsTheBootEvenAfterAKeyWasFound() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp)) {
            FakeNodeApi.Node credential = fixture.credential("continuous", true);
            credential.key = SEALED_KEY;
            List<String> calls = new ArrayList<>();
            TpmAccess cannotLock = () -> Optional.of(new SealedSecretStore() {
                @Override
                public Optional<byte[]> unseal() {
                    calls.add("unseal");
                    return Optional.of(fixture.enrolment(SEALED_KEY));
                }

                @Override
                public void seal(byte[] secret) {
                    calls.add("seal");
                }

                @Override
                public void lock() throws TpmException {
                    calls.add("lock");
                    throw new TpmException("TPM2_PCR_Extend failed: TPM_RC_LOCALITY");
                }

                @Override
                public void close() {
                    calls.add("close");
                }
            });
            assertThatThrownBy(() -> new ApiKeyAcquisition(fixture.client(1), fixture.ca(), cannotLock, TrustFixture::hardware,
                    fixture.console).acquire(TpmPolicy.PREFERRED))
                    .hasMessageStartingWith("cannot extend PCR 15 (TPM2_PCR_Extend failed: TPM_RC_LOCALITY)");
            assertThat(calls).containsExactly("unseal", "lock", "close");
        }
    }

    @Test
    void aNodeApiThatCannotBeReachedStillLocksTheTpm() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp)) {
            fixture.credential("continuous", true);
            fixture.api.unavailable.set(100);
            InMemoryTpm tpm = tpm();
            assertThatThrownBy(() -> new ApiKeyAcquisition(fixture.client(2), fixture.ca(), tpm.access(), TrustFixture::hardware,
                    fixture.console).acquire(TpmPolicy.REQUIRED))
                    .isInstanceOf(NodeApiClient.NodeApiUnreachableException.class);
            assertThat(tpm.locked()).isTrue();
            assertThat(tpm.calls).containsExactly("open", "unseal", "lock", "close");
        }
    }

    private static void assertNoSecrets(TrustFixture fixture, FakeNodeApi.Node credential) {
        assertThat(fixture.output()).doesNotContain(SEALED_KEY).doesNotContain("tk_");
        if (credential.key != null) {
            assertThat(fixture.output()).doesNotContain(credential.key);
        }
    }
}

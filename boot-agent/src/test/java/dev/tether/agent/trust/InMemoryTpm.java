package dev.tether.agent.trust;

import dev.tether.tpm.SealedSecretStore;
import dev.tether.tpm.TpmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A TPM that keeps one sealed secret and models PCR 15: once extended, nothing unseals until {@link #reboot()}.
 * Each {@link #access()} opens a store on it, as the agent does once per boot; every call is recorded.
 */
final class InMemoryTpm {
    private byte[] sealed;
    private boolean pcr15Extended;
    final List<String> calls = new ArrayList<>();

    InMemoryTpm() {
    }

    /** Bytes as an agent sealed them: an {@link Enrolment}, or an older agent's bare key. */
    InMemoryTpm withSealed(byte[] secret) {
        sealed = secret.clone();
        return this;
    }

    void reboot() {
        pcr15Extended = false;
        calls.clear();
    }

    boolean locked() {
        return pcr15Extended;
    }

    /** The API key of the sealed enrolment. */
    Optional<String> sealedSecret() {
        return sealedEnrolment().map(e -> e.key().authorization().substring(dev.tether.nodeapi.NodeApi.BEARER.length()));
    }

    /** The CA the sealed key is bound to. */
    Optional<CaFingerprint> sealedCa() {
        return sealedEnrolment().map(Enrolment::ca);
    }

    private Optional<Enrolment> sealedEnrolment() {
        return Optional.ofNullable(sealed).map(Enrolment::fromSealed);
    }

    TpmAccess access() {
        return () -> {
            calls.add("open");
            return Optional.of(store());
        };
    }

    private SealedSecretStore store() {
        return new SealedSecretStore() {
            @Override
            public Optional<byte[]> unseal() {
                calls.add("unseal");
                return sealed == null || pcr15Extended ? Optional.empty() : Optional.of(sealed.clone());
            }

            @Override
            public void seal(byte[] secret) throws TpmException {
                calls.add("seal");
                sealed = secret.clone();
            }

            @Override
            public void lock() {
                calls.add("lock");
                pcr15Extended = true;
            }

            @Override
            public void close() {
                calls.add("close");
            }
        };
    }
}

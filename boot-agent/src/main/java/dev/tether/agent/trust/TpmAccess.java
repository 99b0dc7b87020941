package dev.tether.agent.trust;

import dev.tether.tpm.SealedSecretStore;
import dev.tether.tpm.Tpm2;
import dev.tether.tpm.TpmException;
import java.util.Optional;

/**
 * Opens this machine's TPM for the API key. The seam between the agent and the tpm module: tests pass an
 * in-memory store or a swtpm-backed one; production uses {@link #system()}.
 */
@FunctionalInterface
public interface TpmAccess {
    /** A machine without a TPM. */
    TpmAccess NONE = () -> Optional.empty();

    /**
     * The TPM's sealed-secret store, or empty when this machine has no TPM.
     *
     * @throws TpmException when there is a TPM but it cannot be used
     */
    Optional<SealedSecretStore> open() throws TpmException;

    /**
     * This machine's TPM through tpm2-tss: the resource manager {@code /dev/tpmrm0} where the kernel offers
     * it, else {@code /dev/tpm0}; empty when there is neither.
     */
    static TpmAccess system() {
        return () -> {
            Optional<String> tcti = Tpm2.detect();
            return tcti.isEmpty() ? Optional.empty() : Optional.of(Tpm2.open(tcti.get()));
        };
    }

    /** The TPM behind a TCTI configuration string, e.g. {@code swtpm:host=127.0.0.1,port=2321} in tests. */
    static TpmAccess tcti(String config) {
        return () -> Optional.of(Tpm2.open(config));
    }
}

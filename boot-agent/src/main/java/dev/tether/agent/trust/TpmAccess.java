package dev.tether.agent.trust;

import dev.tether.tpm.SealedSecretStore;
import dev.tether.tpm.TpmException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Opens this machine's TPM for the API key. The seam between the agent and the tpm module: tests pass an
 * in-memory store or a swtpm-backed one; production uses {@link #system()}.
 */
@FunctionalInterface
public interface TpmAccess {
    /** The TPM device nodes the kernel offers; the resource manager first. */
    List<Path> DEVICES = List.of(Path.of("/dev/tpmrm0"), Path.of("/dev/tpm0"));

    /** A machine without a TPM. */
    TpmAccess NONE = () -> Optional.empty();

    /**
     * The TPM's sealed-secret store, or empty when this machine has no TPM.
     *
     * @throws TpmException when there is a TPM but it cannot be used
     */
    Optional<SealedSecretStore> open() throws TpmException;

    /**
     * This machine's TPM. The tpm module's TPM2 implementation (tpm2-tss through JNA) is not in this tree
     * yet: until it is, a machine with a TPM device is refused with a message that says so, which a profile
     * with {@code tpmPolicy: preferred} treats like a machine without a TPM. Wire the real store here
     * (e.g. {@code dev.tether.tpm.Tpm2.detect()}) when it lands.
     */
    static TpmAccess system() {
        return () -> {
            Optional<Path> device = DEVICES.stream().filter(Files::exists).findFirst();
            if (device.isEmpty()) {
                return Optional.empty();
            }
            throw new TpmException("this agent has no TPM2 driver yet (the tpm module's implementation is not built"
                    + " in), so the TPM at " + device.get() + " cannot be used");
        };
    }
}

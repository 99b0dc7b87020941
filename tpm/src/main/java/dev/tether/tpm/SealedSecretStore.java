package dev.tether.tpm;

import java.util.Optional;

/**
 * A secret kept for one boot stage only: sealed to the state the machine is in before the operating system
 * runs (PCR 15 unextended), and locked away for the rest of the boot by {@link #lock()}.
 */
public interface SealedSecretStore extends AutoCloseable {
    /**
     * The sealed secret, or empty when nothing is sealed or the policy no longer allows it (already locked).
     * The array is the caller's: zero it when done.
     */
    Optional<byte[]> unseal() throws TpmException;

    /**
     * Seals {@code secret}, replacing whatever was sealed before; it survives reboots. Call it before {@link #lock()}:
     * the secret is bound to the current value of PCR 15.
     */
    void seal(byte[] secret) throws TpmException;

    /** Extends PCR 15, so nothing later in this boot can unseal until the machine restarts. */
    void lock() throws TpmException;

    /**
     * This TPM's identity for a key issued to it over the network (its EK, and the key a credential is bound to),
     * open for one request; empty when the store cannot prove it (no TPM behind it). Close it before {@link #lock()}.
     */
    default Optional<TpmIdentity> identity() throws TpmException {
        return Optional.empty();
    }

    @Override
    void close();
}

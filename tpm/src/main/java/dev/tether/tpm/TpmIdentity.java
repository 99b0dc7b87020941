package dev.tether.tpm;

/**
 * A TPM proving who it is to the node API, for one key request: it shows its endorsement key and the key a
 * credential may be bound to, and recovers a credential made for them ({@link MakeCredential}) with
 * {@code TPM2_ActivateCredential}. Only the TPM that holds the EK's private half can.
 */
public interface TpmIdentity extends AutoCloseable {
    EndorsementKey endorsementKey();

    ActivationKey activationKey();

    /**
     * The credential inside {@code credentialBlob} (TPM2B_ID_OBJECT) and {@code encryptedSecret}
     * (TPM2B_ENCRYPTED_SECRET). The array is the caller's: zero it when done.
     *
     * @throws TpmException when the TPM refuses: the blob was made for another TPM's EK or another object, or was
     *     altered (the message carries the TPM's response code in words)
     */
    byte[] activateCredential(byte[] credentialBlob, byte[] encryptedSecret) throws TpmException;

    /** Flushes the keys from the TPM. */
    @Override
    void close();
}

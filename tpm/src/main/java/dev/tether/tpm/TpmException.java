package dev.tether.tpm;

/** A TPM operation failed; the message says which and the TPM's response code in words. */
public class TpmException extends Exception {
    public TpmException(String message) {
        super(message);
    }

    public TpmException(String message, Throwable cause) {
        super(message, cause);
    }
}

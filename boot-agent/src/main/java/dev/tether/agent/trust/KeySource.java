package dev.tether.agent.trust;

/** Where this boot's API key came from, as the boot report names it. */
public enum KeySource {
    /** Unsealed from the TPM. */
    TPM("tpm"),
    /** Issued by the node API while the credential was armed. */
    NETWORK("network");

    private final String value;

    KeySource(String value) {
        this.value = value;
    }

    public String value() {
        return value;
    }
}

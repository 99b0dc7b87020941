package dev.tether.agent.trust;

import java.util.Locale;

/** The profile's TPM policy: whether the node's API key must, may or must not be kept in a TPM. */
public enum TpmPolicy {
    /** No TPM: the boot stops. The key is unsealed from, or sealed into, the TPM. */
    REQUIRED,
    /** The TPM when there is one; without one the key comes over the network at every boot (credential armed). */
    PREFERRED,
    /** The TPM is never touched: the key comes over the network at every boot. */
    DISABLED;

    /** What a profile without a policy gets, as the NodeProfile's default. */
    public static final TpmPolicy DEFAULT = PREFERRED;

    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code required}, {@code preferred} or {@code disabled}; the message lists them. */
    public static TpmPolicy parse(String text) {
        for (TpmPolicy policy : values()) {
            if (policy.value().equals(text)) {
                return policy;
            }
        }
        throw new IllegalArgumentException("tpmPolicy '" + text + "' is not known; use required, preferred or disabled");
    }
}

package dev.tether.nodeapi;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A fresh API key (shown once, stored by the operator only as a salted hash) and the credential's arming afterwards.
 * For a credential bound to a TPM's endorsement key the key is not in {@code apiKey} but in {@code boundKey}, which
 * only that TPM can open.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiKeyIssued(String apiKey, String arming, EkBoundKey boundKey) {
    public ApiKeyIssued(String apiKey, String arming) {
        this(apiKey, arming, null);
    }

    @Override
    public String toString() {
        return "ApiKeyIssued[apiKey=" + (apiKey == null ? "none" : "(redacted)") + ", arming=" + arming
                + (boundKey == null ? "" : ", boundKey=" + boundKey) + "]";
    }
}

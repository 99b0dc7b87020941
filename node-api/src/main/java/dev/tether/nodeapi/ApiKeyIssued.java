package dev.tether.nodeapi;

/** A fresh API key (shown once, stored by the operator only as a salted hash) and the credential's arming afterwards. */
public record ApiKeyIssued(String apiKey, String arming) {
    @Override
    public String toString() {
        return "ApiKeyIssued[apiKey=(redacted), arming=" + arming + "]";
    }
}

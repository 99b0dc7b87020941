package dev.tether.nodeapi;

/** The key of one image version: 64 hex digits, with the key id the manifest names. */
public record ImageKeyIssued(String digest, String keyId, String keyHex) {
    @Override
    public String toString() {
        return "ImageKeyIssued[digest=" + digest + ", keyId=" + keyId + ", key=(redacted)]";
    }
}

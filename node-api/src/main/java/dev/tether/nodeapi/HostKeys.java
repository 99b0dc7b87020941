package dev.tether.nodeapi;

import java.util.List;

/** Host public keys generated at this boot, as OpenSSH lines ({@code ssh-ed25519 AAAA…}). */
public record HostKeys(List<String> publicKeys) {
    public static final int MAX_KEYS = 3;

    public HostKeys {
        publicKeys = publicKeys == null ? List.of() : List.copyOf(publicKeys);
    }
}

package dev.tether.operator.nodeapi;

import dev.tether.nodeapi.PersistenceKey;
import dev.tether.operator.persistence.PersistenceSecret;
import dev.tether.operator.persistence.PersistenceSettings;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * {@code GET persistence-key}, with the API key only (never the persistence token, which it replaces): the node's
 * archive key, the generation stored, its limits, and a new token for this boot's saves.
 */
final class PersistenceKeyEndpoint implements Endpoint {
    private final ProfileReader profiles;
    private final PersistenceSecret secrets;
    private final PersistenceSettings settings;

    PersistenceKeyEndpoint(ProfileReader profiles, PersistenceSecret secrets, PersistenceSettings settings) {
        this.profiles = profiles;
        this.secrets = secrets;
        this.settings = settings;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public Reply handle(NodeContext context) throws Refusal {
        PersistenceLimits limits = PersistenceLimits.of(profiles.profile(context.credential()), settings);
        PersistenceSecret.Issued issued = secrets.issue(context.credential());
        try {
            return Reply.json(200, new PersistenceKey(HexFormat.of().formatHex(issued.key()), issued.generation(),
                    limits.maxBytes(), limits.saveInterval().toSeconds(), issued.token()));
        } finally {
            Arrays.fill(issued.key(), (byte) 0);
        }
    }
}

package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.credential.ApiKeyStore;
import dev.tether.operator.credential.ApiKeys;
import dev.tether.operator.credential.CredentialsByNodeName;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/**
 * Checks {@code Authorization: Bearer <apiKey>} against the salted hash in the credential's Secret, in
 * constant time. An unknown node and a wrong key get the same answer, and an unknown node's request is
 * checked against a throw-away hash so that it costs the same comparison.
 *
 * <p>The hash comes from the informer cache. Only when the cached one does not match (a key issued a moment ago may
 * not have reached the cache) is the Secret read from the API server, and not while the request's failure budgets
 * are spent: so the right key costs the API server nothing, and a flood of wrong ones costs it little.
 */
final class NodeAuthenticator {
    private static final Pattern KEY = Pattern.compile("^tk_[A-Za-z0-9_-]{16," + (NodeApi.MAX_API_KEY_LENGTH - 3) + "}$");
    private static final ApiKeys.Hashed DECOY = ApiKeys.hash(ApiKeys.newKey());

    private final ApiKeyStore keys;
    private final CredentialsByNodeName cache;

    NodeAuthenticator(ApiKeyStore keys, CredentialsByNodeName cache) {
        this.keys = keys;
        this.cache = cache;
    }

    /**
     * Returns quietly when the caller holds the credential's key; otherwise a 401 that says no more than needed.
     *
     * @param backedOff whether the request's failure budgets are spent (then a miss in the cache is final)
     */
    void authenticate(NodeCredential credential, String authorization, String namespace, String node, BooleanSupplier backedOff)
            throws Refusal {
        String key = bearer(authorization);
        boolean ok;
        if (credential == null) {
            ApiKeys.matches(key == null ? "" : key, DECOY);
            ok = false;
        } else {
            String name = credential.getMetadata().getName();
            ok = key != null && (cache.cachedKeyHash(namespace, name).map(hash -> ApiKeys.matches(key, hash)).orElse(false)
                    || !backedOff.getAsBoolean() && keys.verify(namespace, name, key));
        }
        if (!ok) {
            throw new Refusal(401, "BadCredentials", key == null
                    ? "send the node's API key as 'Authorization: Bearer tk_...'"
                    : "node " + namespace + "/" + node + " is unknown or the API key is not its current key;"
                            + " a node without a valid key must fetch a new one while its NodeCredential is armed");
        }
        var status = credential.getStatus();
        if (status != null && status.apiKey != null && Boolean.TRUE.equals(status.apiKey.awaitingFirstUse)) {
            keys.confirmFirstUse(namespace, credential.getMetadata().getName());
        }
    }

    /** The key from the header, or null when the header is absent, malformed or too long (never echoed). */
    private static String bearer(String authorization) {
        if (authorization == null || !authorization.startsWith(NodeApi.BEARER)
                || authorization.length() > NodeApi.BEARER.length() + NodeApi.MAX_API_KEY_LENGTH) {
            return null;
        }
        String key = authorization.substring(NodeApi.BEARER.length());
        return KEY.matcher(key).matches() ? key : null;
    }
}

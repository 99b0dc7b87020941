package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.NodeCredential;

/** One endpoint of the node API. It is called only for a known node, and only once the node is authenticated if it must be. */
interface Endpoint {
    String method();

    /** Whether the node must show its API key; every endpoint but the one that issues keys says yes. */
    default boolean authenticated() {
        return true;
    }

    /** Whether the boot's persistence token may stand in for the API key: only on the node's own archive. */
    default boolean takesPersistenceToken() {
        return false;
    }

    Reply handle(NodeContext context) throws Refusal;

    /** Who asked and what: the node's credential as read for this request, the path and the request. */
    record NodeContext(NodePath path, NodeCall call, NodeCredential credential) {
        String namespace() {
            return path.namespace();
        }

        String credentialName() {
            return credential.getMetadata().getName();
        }
    }
}

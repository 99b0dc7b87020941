package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.util.function.Consumer;

/**
 * A node API endpoint's change to a NodeCredential's status, in one API server round trip where it can be: the change is
 * applied to the copy of the credential the node API already holds (the informer's, which found the node) and written
 * with that copy's resource version as a lock. Only when the copy is out of date (409: the operator or an administrator
 * wrote the credential meanwhile) is the credential read and the change applied to it again, so no one's write is lost.
 * A read-modify-write ({@code editStatus}) costs two round trips every time; in a boot storm the node API's handler
 * threads wait on those.
 *
 * <p>The write is made before the endpoint answers: what it records (a certificate's serial, a boot) is in the status
 * before the node has anything to act on, and a write that fails fails the request.
 */
final class CredentialStatusWrites {
    /** A boot's writes meet few others; past this many conflicts in a row the request fails and the node asks again. */
    static final int ATTEMPTS = 5;

    private final KubernetesClient client;

    CredentialStatusWrites(KubernetesClient client) {
        this.client = client;
    }

    /**
     * Applies {@code change} to the credential's status and writes it.
     *
     * @param known  the credential as the node API knows it (never changed here: it may be the informer's own object)
     * @param change what to do to the status; applied again to a fresh copy after a conflict, so it must only add to or
     *               set what it finds
     * @return the credential as written
     */
    NodeCredential update(NodeCredential known, Consumer<NodeCredentialStatus> change) {
        String namespace = known.getMetadata().getNamespace();
        String name = known.getMetadata().getName();
        NodeCredential current = client.getKubernetesSerialization().clone(known);
        for (int attempt = 1; ; attempt++) {
            var status = current.getStatus() == null ? new NodeCredentialStatus() : current.getStatus();
            change.accept(status);
            current.setStatus(status);
            try {
                return client.resource(current).lockResourceVersion(current.getMetadata().getResourceVersion()).updateStatus();
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT || attempt == ATTEMPTS) {
                    throw e;
                }
            }
            current = client.resources(NodeCredential.class).inNamespace(namespace).withName(name).get();
            if (current == null) {
                throw new KubernetesClientException("NodeCredential " + namespace + "/" + name + " was deleted", HttpURLConnection.HTTP_NOT_FOUND,
                        null);
            }
        }
    }
}

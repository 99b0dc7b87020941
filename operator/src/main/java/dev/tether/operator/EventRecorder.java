package dev.tether.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.events.v1.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records Kubernetes events on Tether resources: what an administrator should know without reading
 * the operator's log ({@code kubectl describe di bookworm}). Messages never contain secrets.
 */
public final class EventRecorder {
    private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
    private static final DateTimeFormatter MICRO_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX");

    public enum Type { Normal, Warning }

    private final KubernetesClient client;

    public EventRecorder(KubernetesClient client) {
        this.client = client;
    }

    public void record(HasMetadata regarding, Type type, String reason, String note) {
        var metadata = regarding.getMetadata();
        record(new ObjectReferenceBuilder()
                .withApiVersion(regarding.getApiVersion())
                .withKind(regarding.getKind())
                .withName(metadata.getName())
                .withNamespace(metadata.getNamespace())
                .withUid(metadata.getUid())
                .build(), metadata.getNamespace(), type, reason, note);
    }

    /** An event about a namespace as a whole (e.g. a node API request for a node that has no NodeCredential there). */
    public void recordOnNamespace(String namespace, Type type, String reason, String note) {
        // The API server refuses an event whose regarding object has no namespace unless the event is in
        // "default": so the reference names the namespace it is about as its own.
        record(new ObjectReferenceBuilder().withApiVersion("v1").withKind("Namespace").withName(namespace).withNamespace(namespace).build(),
                namespace, type, reason, note);
    }

    private void record(ObjectReference regarding, String namespace, Type type, String reason, String note) {
        var event = new EventBuilder()
                .withNewMetadata()
                .withName(regarding.getName() + "." + UUID.randomUUID().toString().substring(0, 8))
                .withNamespace(namespace)
                .endMetadata()
                .withRegarding(regarding)
                .withType(type.name())
                .withReason(reason)
                .withAction(reason)
                .withNote(note.length() > 1024 ? note.substring(0, 1021) + "..." : note)
                .withEventTime(new MicroTime(ZonedDateTime.now().format(MICRO_TIME)))
                .withReportingController("tether.dev/operator")
                .withReportingInstance(System.getenv().getOrDefault("HOSTNAME", "tether-operator"))
                .build();
        try {
            client.resource(event).create();
        } catch (KubernetesClientException e) {
            // An event is a courtesy; failing to record one must not fail a reconciliation.
            LOG.warn("could not record event {} on {}/{}: {}", reason, namespace, regarding.getName(), e.getMessage());
        }
    }
}

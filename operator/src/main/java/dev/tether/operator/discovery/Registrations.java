package dev.tether.operator.discovery;

import dev.tether.api.v1alpha1.DiscoveredNode;
import dev.tether.api.v1alpha1.DiscoveredNodeSpec;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.operator.Names;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records what unknown machines say about themselves as DiscoveredNodes, one per boot MAC, in the profile's
 * namespace. Nothing a registration says is trusted beyond what it is: the first registration of a MAC fixes the
 * hardware on record (in the DiscoveredNode's spec, which its CRD keeps from changing, as a
 * CertificateSigningRequest's request is kept), and a later one that reports other hardware is counted as a conflict
 * (someone registering in the machine's name) that blocks enrolment; it never replaces what is recorded. Later
 * registrations are noted in annotations, which the DiscoveredNode's reconciler shows in its status, so that the
 * status has one writer. A profile keeps at most {@code spec.discovery.maxPending} waiting machines; the
 * longest-waiting one gives way to a new one.
 */
public final class Registrations {
    private static final Logger LOG = LoggerFactory.getLogger(Registrations.class);
    /** A waiting machine registers every few seconds; its last-seen time is written at most this often. */
    static final Duration SEEN_RESOLUTION = Duration.ofMinutes(1);
    /** When the machine last registered (RFC 3339). */
    public static final String LAST_SEEN = "tether.dev/last-seen";
    /** How many registrations under its MAC reported other hardware. */
    public static final String CONFLICTS = "tether.dev/conflicting-registrations";

    private final KubernetesClient client;
    private final Clock clock;
    private final Counter dropped;
    private final MeterRegistry metrics;

    public Registrations(KubernetesClient client, Clock clock, MeterRegistry metrics) {
        this.client = client;
        this.clock = clock;
        this.metrics = metrics;
        this.dropped = Counter.builder("tether.discovery.pending.dropped")
                .description("Waiting DiscoveredNodes deleted to make room for newer ones (spec.discovery.maxPending)")
                .register(metrics);
    }

    /** What became of a registration. */
    public enum Outcome { NEW, SEEN, CONFLICT }

    /** The DiscoveredNode that records the machine, and what this registration did to it. */
    public record Recorded(DiscoveredNode node, Outcome outcome) {
    }

    /** The DiscoveredNode name for a boot MAC: {@code mac-} and its twelve hex digits. */
    public static String nameFor(String bootMac) {
        return "mac-" + bootMac.replace(":", "");
    }

    /**
     * Records a registration of {@code hardware} with {@code profile}, whose discovery is enabled and whose prefixes
     * the boot MAC (the first) matches: the caller checked both.
     */
    public Recorded record(NodeProfile profile, DiscoveredNodeSpec.Hardware hardware) {
        String namespace = profile.getMetadata().getNamespace();
        String name = nameFor(hardware.macs.getFirst());
        var nodes = client.resources(DiscoveredNode.class).inNamespace(namespace);
        DiscoveredNode existing = nodes.withName(name).get();
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        if (existing == null) {
            makeRoom(profile);
            var node = new DiscoveredNode();
            node.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace)
                    .withLabels(Map.of(Names.PROFILE_LABEL, profile.getMetadata().getName(), Names.MANAGED_BY, Names.OPERATOR))
                    .withAnnotations(Map.of(LAST_SEEN, now.toString()))
                    .build());
            node.setSpec(new DiscoveredNodeSpec());
            node.getSpec().profile = profile.getMetadata().getName();
            node.getSpec().hardware = hardware;
            // A policy accepts only machines with a TPM: their first key goes to that TPM alone. A machine without one
            // would fetch its key at every boot on the strength of its MAC, which an administrator must accept by name.
            node.getSpec().accept = Boolean.TRUE.equals(profile.getSpec().discovery.autoAccept) && hardware.endorsementKey != null;
            try {
                DiscoveredNode created = nodes.resource(node).create();
                registered("new");
                return new Recorded(created, Outcome.NEW);
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
                // The same MAC registered twice at once: the other request made it; judge this one against it.
                existing = nodes.withName(name).get();
            }
        }
        if (!hardware.equals(existing.getSpec().hardware)) {
            registered("conflict");
            DiscoveredNode counted = annotate(nodes.withName(name), CONFLICTS, node -> Integer.toString(conflicts(node) + 1));
            LOG.warn("a registration for DiscoveredNode {}/{} reported other hardware than its first ({} conflicts so far)",
                    namespace, name, conflicts(counted));
            return new Recorded(counted, Outcome.CONFLICT);
        }
        registered("seen");
        String lastSeen = annotation(existing, LAST_SEEN);
        if (lastSeen == null || Instant.parse(lastSeen).plus(SEEN_RESOLUTION).isBefore(now)) {
            return new Recorded(annotate(nodes.withName(name), LAST_SEEN, node -> now.toString()), Outcome.SEEN);
        }
        return new Recorded(existing, Outcome.SEEN);
    }

    /** The number of conflicting registrations noted on {@code node}. */
    public static int conflicts(DiscoveredNode node) {
        String value = annotation(node, CONFLICTS);
        try {
            return value == null ? 0 : Math.max(0, Integer.parseInt(value));
        } catch (NumberFormatException e) {
            // Not ours (someone edited it): a conflict is the safe reading.
            return 1;
        }
    }

    public static String annotation(DiscoveredNode node, String key) {
        var annotations = node.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(key);
    }

    /** Sets one annotation from the object as it is now, retrying when another writer came first. */
    private static DiscoveredNode annotate(Resource<DiscoveredNode> resource, String key, Function<DiscoveredNode, String> value) {
        for (int attempt = 1; ; attempt++) {
            try {
                return resource.edit(node -> {
                    var annotations = new HashMap<>(node.getMetadata().getAnnotations() == null ? Map.of()
                            : node.getMetadata().getAnnotations());
                    annotations.put(key, value.apply(node));
                    node.getMetadata().setAnnotations(annotations);
                    return node;
                });
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 3) {
                    throw e;
                }
            }
        }
    }

    /** Deletes the longest-waiting machines of {@code profile} until a new one fits under its bound. */
    private void makeRoom(NodeProfile profile) {
        NodeProfileSpec.Discovery discovery = profile.getSpec().discovery;
        int bound = discovery.maxPending == null ? 100 : discovery.maxPending;
        List<DiscoveredNode> waiting = client.resources(DiscoveredNode.class).inNamespace(profile.getMetadata().getNamespace())
                .withLabel(Names.PROFILE_LABEL, profile.getMetadata().getName()).list().getItems().stream()
                .filter(node -> node.getStatus() == null || node.getStatus().enrolledAs == null)
                .sorted(Comparator.comparing(Registrations::registeredAt).thenComparing(node -> node.getMetadata().getName()))
                .toList();
        for (int i = 0; i <= waiting.size() - bound; i++) {
            DiscoveredNode oldest = waiting.get(i);
            client.resource(oldest).delete();
            dropped.increment();
            LOG.info("deleted DiscoveredNode {}/{}, the longest waiting of profile {}'s {} (maxPending {}), to record a new one",
                    oldest.getMetadata().getNamespace(), oldest.getMetadata().getName(), profile.getMetadata().getName(),
                    waiting.size(), bound);
        }
    }

    private static String registeredAt(DiscoveredNode node) {
        return node.getMetadata().getCreationTimestamp() == null ? "" : node.getMetadata().getCreationTimestamp();
    }

    private void registered(String outcome) {
        Counter.builder("tether.discovery.registrations").tag("outcome", outcome)
                .description("Registrations of unknown machines by outcome: new, seen again, or conflicting with the hardware on record")
                .register(metrics).increment();
    }
}

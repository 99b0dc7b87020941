package dev.tether.operator.power;

import dev.tether.api.v1alpha1.NodeCredential;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.ResourceIDMapper;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.CachingInboundEventSource;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Talks to BMCs off the reconcile threads. The NodeCredential reconciler asks for a probe (read the power state) or an
 * action; a bounded pool of workers carries it out, at most one talk per node at a time, and hands the result back as
 * a {@link BmcReading} through a JOSDK event source, which brings the credential back to the reconciler. A BMC that
 * does not answer costs one worker for at most the request timeout and delays no other resource's reconcile.
 *
 * <p>Metrics ({@link BmcTalk}): {@code tether_power_actions_total} by action and outcome, {@code tether_bmc_reads_total}
 * by outcome.
 */
public final class PowerControl implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PowerControl.class);

    private final KubernetesClient client;
    private final BmcConnector connector;
    private final MeterRegistry metrics;
    private final Clock clock;
    private final PowerSettings settings;
    private final ExecutorService workers;
    private final Set<ResourceID> busy = ConcurrentHashMap.newKeySet();
    private final CachingInboundEventSource<BmcReading, NodeCredential, String> readings;

    public PowerControl(KubernetesClient client, PowerSettings settings, MeterRegistry metrics, Clock clock) {
        this.client = client;
        this.settings = settings;
        this.connector = new BmcConnector(settings.ipmitool(), settings.requestTimeout());
        this.metrics = metrics;
        this.clock = clock;
        var count = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(settings.workers(), task -> {
            var thread = new Thread(task, "tether-bmc-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        // Nothing is fetched on a cache miss: the reconciler asks for a probe instead, which answers later.
        this.readings = new CachingInboundEventSource<>(primary -> Set.of(), BmcReading.class,
                ResourceIDMapper.singleResourceResourceIDMapper());
    }

    public PowerSettings settings() {
        return settings;
    }

    /** The event source to register with the NodeCredential controller. */
    public EventSource<BmcReading, NodeCredential> eventSource() {
        return readings;
    }

    /** The last reading of the credential's BMC, if any was taken since the operator started. */
    public Optional<BmcReading> latest(NodeCredential credential) {
        return readings.getSecondaryResources(credential).stream().findFirst();
    }

    /** Whether a talk with the credential's BMC is under way or queued. */
    public boolean busy(NodeCredential credential) {
        return busy.contains(ResourceID.fromResource(credential));
    }

    /** Reads the power state, unless a talk with this BMC is under way already. */
    public void probe(NodeCredential credential) {
        submit(credential, null, null);
    }

    /** Carries out {@code action}, then reads the power state; unless a talk with this BMC is under way already. */
    public void act(NodeCredential credential, PowerAction action, String cause) {
        submit(credential, action, cause);
    }

    private void submit(NodeCredential credential, PowerAction action, String cause) {
        var id = ResourceID.fromResource(credential);
        if (!busy.add(id)) {
            return;
        }
        try {
            workers.execute(() -> talk(id, credential, action, cause));
        } catch (RuntimeException e) {
            busy.remove(id);
            throw e;
        }
    }

    private void talk(ResourceID id, NodeCredential credential, PowerAction action, String cause) {
        try {
            var previous = latest(credential).orElse(null);
            var reading = new BmcTalk(client, connector, clock, metrics).run(credential, action, cause,
                    previous == null ? null : previous.lastAction());
            // Published before the node is marked free: a reconcile that sees it free sees this reading too, so an
            // action is never asked for twice on a stale reading.
            readings.handleResourceEvent(id, reading);
        } catch (RuntimeException e) {
            LOG.warn("talking to the BMC of {} failed unexpectedly: {}", id, e.toString());
        } finally {
            busy.remove(id);
        }
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }
}

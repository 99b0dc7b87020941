package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.EventRecorder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens to every refusal: counted ({@code tether.nodeapi.refusals}), spent from the failure
 * budgets, logged on one line, and recorded as an event on the NodeCredential (or on the namespace when
 * the node has none, within a budget per namespace). A refusal's message is written for the node and holds no secret; nothing else of
 * the request (headers, body) is ever written anywhere.
 */
final class RefusalAudit {
    private static final Logger LOG = LoggerFactory.getLogger(RefusalAudit.class);

    private final MeterRegistry metrics;
    private final EventRecorder events;
    private final FailureLimiter limiter;
    private final NodeDirectory directory;

    RefusalAudit(MeterRegistry metrics, EventRecorder events, FailureLimiter limiter, NodeDirectory directory) {
        this.metrics = metrics;
        this.events = events;
        this.limiter = limiter;
        this.directory = directory;
    }

    /**
     * A refused registration of an unknown machine: counted, and logged at debug only, since anyone on the boot network
     * can send them and the discovery budgets already bound what they cost.
     */
    void refusedRegistration(DiscoveryEndpoint.DiscoveryPath path, NodeCall call, Refusal refusal) {
        Counter.builder("tether.nodeapi.refusals")
                .description("Node API requests refused, by endpoint and reason")
                .tag("endpoint", NodeApi.DISCOVERY)
                .tag("code", refusal.code())
                .register(metrics)
                .increment();
        LOG.debug("node API refused a registration for {} from {}: {} {}: {}", path, call.source(), refusal.status(),
                refusal.code(), refusal.getMessage());
    }

    void refused(NodePath path, NodeCredential credential, NodeCall call, Refusal refusal) {
        String endpoint = path == null ? "none" : path.endpoint();
        Counter.builder("tether.nodeapi.refusals")
                .description("Node API requests refused, by endpoint and reason")
                .tag("endpoint", endpoint)
                .tag("code", refusal.code())
                .register(metrics)
                .increment();
        String node = path == null ? null : path.namespace() + "/" + path.node();
        // Refusals that are not checked against the budget first (a body too large, a request that cannot be
        // decoded) still spend it; once it is spent, the administrator has been told, and each further refusal is
        // counted but neither written as an event (an API server write) nor logged as a warning.
        boolean told = limiter.spent(node, call.source());
        if (told) {
            LOG.debug("node API refused {} {} for node {} from {}: {} {}: {}", call.method(), endpoint, node, call.source(),
                    refusal.status(), refusal.code(), refusal.getMessage());
        } else {
            LOG.warn("node API refused {} {} for node {} from {}: {} {}: {}", call.method(), endpoint, node, call.source(),
                    refusal.status(), refusal.code(), refusal.getMessage());
        }
        if (refusal.code().equals("RateLimited")) {
            limiter.refusedAgain(call.source());
            return;
        }
        boolean exhausted = limiter.refused(node, call.source());
        if (told) {
            return;
        }
        String note = call.method() + " " + endpoint + " from " + call.source() + " refused (" + refusal.status() + " "
                + refusal.code() + "): " + refusal.getMessage();
        record(path, credential, "NodeApi" + refusal.code(), note);
        if (exhausted) {
            record(path, credential, "NodeApiRateLimited", "Too many refused node API requests for this node or from "
                    + call.source() + "; further requests are answered 429 until the budget refills.");
        }
    }

    private void record(NodePath path, NodeCredential credential, String reason, String note) {
        if (credential != null) {
            events.record(credential, EventRecorder.Type.Warning, reason, note);
        } else if (path != null && directory.watches(path.namespace())) {
            if (limiter.mayRecordUnknownNode(path.namespace())) {
                events.recordOnNamespace(path.namespace(), EventRecorder.Type.Warning, reason, "node " + path.node() + ": " + note);
            } else {
                Counter.builder("tether.nodeapi.events.suppressed")
                        .description("Events about refusals for unknown nodes not written, the namespace's budget being spent")
                        .register(metrics)
                        .increment();
            }
        }
    }
}

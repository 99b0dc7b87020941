package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.api.v1alpha1.NodeCredentialStatus.KeySource;
import dev.tether.api.v1alpha1.Patterns;
import dev.tether.nodeapi.BootReport;
import dev.tether.operator.EventRecorder;
import dev.tether.operator.Names;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code POST boot-report}: the node's root is ready. Writes {@code status.lastBoot} (digest, key source,
 * phase timings, root image fetch counts, the tethered agent's memory) and, when the key came from the TPM,
 * {@code status.apiKey.issuedVia}, in one status write before it answers ({@link CredentialStatusWrites}); then the
 * boot's metrics ({@link BootMetrics}), and its events ({@link BootEvents}) after the answer ({@link DeferredEvents}).
 */
final class BootReportEndpoint implements Endpoint {
    private static final Pattern DIGEST = Pattern.compile(Patterns.DIGEST);
    private static final Pattern PHASE = Pattern.compile("^[A-Za-z][A-Za-z0-9_.-]{0,62}$");
    private static final long MAX_PHASE_MILLIS = 24L * 3600 * 1000;

    private final CredentialStatusWrites statuses;
    private final Clock clock;
    private final EventRecorder events;
    private final DeferredEvents deferred;
    private final BootMetrics metrics;

    BootReportEndpoint(KubernetesClient client, Clock clock, MeterRegistry metrics, DeferredEvents deferred) {
        this.statuses = new CredentialStatusWrites(client);
        this.deferred = deferred;
        this.clock = clock;
        this.events = new EventRecorder(client);
        this.metrics = new BootMetrics(metrics);
    }

    @Override
    public String method() {
        return "POST";
    }

    @Override
    public Reply handle(NodeContext context) throws Refusal {
        BootReport report = NodeApiJson.read(context.call().body(), BootReport.class, "BadReport");
        KeySource source = validate(report);
        var lastBoot = new NodeCredentialStatus.LastBoot();
        lastBoot.bootedAt = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
        lastBoot.digest = report.digest();
        lastBoot.shortDigest = Names.shortDigest(report.digest());
        lastBoot.keySource = source;
        lastBoot.phaseMillis = report.phaseMillis() == null ? new LinkedHashMap<>() : new LinkedHashMap<>(report.phaseMillis());
        lastBoot.fetch = report.fetch() == null ? null : fetch(report.fetch());
        lastBoot.agentMemory = report.agentMemory() == null ? null : agentMemory(report.agentMemory());
        var booted = statuses.update(context.credential(), status -> {
            status.lastBoot = lastBoot;
            if (source == KeySource.TPM) {
                var apiKey = status.apiKey == null ? new NodeCredentialStatus.ApiKey() : status.apiKey;
                apiKey.issuedVia = KeySource.TPM;
                status.apiKey = apiKey;
            }
        });
        metrics.record(context.namespace(), booted.getSpec().nodeName, booted.getSpec().profile, report.method(), lastBoot);
        deferred.record("the boot of " + context.path(), () -> BootEvents.record(events, booted, report.method(), lastBoot));
        return Reply.noContent();
    }

    private static KeySource validate(BootReport report) throws Refusal {
        if (report.digest() == null || report.digest().length() != 71 || !DIGEST.matcher(report.digest()).matches()) {
            throw Refusal.badRequest("BadReport", "digest must be the booted image's sha256:<64 lower-case hex digits>");
        }
        if (!Set.of("tethered", "untethered").contains(String.valueOf(report.method()))) {
            throw Refusal.badRequest("BadReport", "method must be tethered or untethered");
        }
        KeySource source = switch (String.valueOf(report.keySource())) {
            case "tpm" -> KeySource.TPM;
            case "network" -> KeySource.NETWORK;
            default -> throw Refusal.badRequest("BadReport", "keySource must be tpm or network");
        };
        Map<String, Long> phases = report.phaseMillis() == null ? Map.of() : report.phaseMillis();
        if (phases.size() > BootReport.MAX_PHASES) {
            throw Refusal.badRequest("BadReport", "at most " + BootReport.MAX_PHASES + " phases");
        }
        for (var phase : phases.entrySet()) {
            if (!PHASE.matcher(phase.getKey()).matches()) {
                throw Refusal.badRequest("BadReport", "phase names are letters, digits, '_', '.' and '-', at most 63, starting with a letter");
            }
            if (phase.getValue() == null || phase.getValue() < 0 || phase.getValue() > MAX_PHASE_MILLIS) {
                throw Refusal.badRequest("BadReport", "phase " + phase.getKey() + " must last 0 to " + MAX_PHASE_MILLIS + " ms");
            }
        }
        if (report.fetch() != null) {
            validate(report.fetch());
        }
        if (report.agentMemory() != null) {
            validate(report.agentMemory());
        }
        return source;
    }

    private static void validate(BootReport.AgentMemory memory) throws Refusal {
        var figures = List.of(Map.entry("anonymousBytes", memory.anonymousBytes()), Map.entry("fileBytes", memory.fileBytes()),
                Map.entry("chunkCacheBytes", memory.chunkCacheBytes()), Map.entry("heapMaxBytes", memory.heapMaxBytes()),
                Map.entry("directMaxBytes", memory.directMaxBytes()));
        for (var figure : figures) {
            if (figure.getValue() < 0 || figure.getValue() > BootReport.Fetch.MAX) {
                throw Refusal.badRequest("BadReport", "agentMemory." + figure.getKey() + " must be 0 to " + BootReport.Fetch.MAX);
            }
        }
    }

    private static NodeCredentialStatus.AgentMemory agentMemory(BootReport.AgentMemory reported) {
        var memory = new NodeCredentialStatus.AgentMemory();
        memory.totalBytes = reported.totalBytes();
        memory.anonymousBytes = reported.anonymousBytes();
        memory.fileBytes = reported.fileBytes();
        memory.chunkCacheBytes = reported.chunkCacheBytes();
        memory.heapMaxBytes = reported.heapMaxBytes();
        memory.directMaxBytes = reported.directMaxBytes();
        return memory;
    }

    private static void validate(BootReport.Fetch fetch) throws Refusal {
        var figures = List.of(Map.entry("requests", fetch.requests()), Map.entry("hedges", fetch.hedges()),
                Map.entry("edgeFailures", fetch.edgeFailures()), Map.entry("integrityFailures", fetch.integrityFailures()),
                Map.entry("bytes", fetch.bytes()),
                // An agent from before usefulBytes sends none: its boot has no waste figure, and is not refused.
                Map.entry("usefulBytes", fetch.usefulBytes() == null ? 0L : fetch.usefulBytes()));
        for (var figure : figures) {
            if (figure.getValue() < 0 || figure.getValue() > BootReport.Fetch.MAX) {
                throw Refusal.badRequest("BadReport", "fetch." + figure.getKey() + " must be 0 to " + BootReport.Fetch.MAX);
            }
        }
    }

    private static NodeCredentialStatus.Fetch fetch(BootReport.Fetch reported) {
        var fetch = new NodeCredentialStatus.Fetch();
        fetch.requests = reported.requests();
        fetch.hedges = reported.hedges();
        fetch.edgeFailures = reported.edgeFailures();
        fetch.integrityFailures = reported.integrityFailures();
        fetch.bytes = reported.bytes();
        fetch.usefulBytes = reported.usefulBytes();
        fetch.wastedBytes = reported.wastedBytes();
        return fetch;
    }
}

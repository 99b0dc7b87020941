package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.EventRecorder;
import dev.tether.operator.OperatorConfig;
import dev.tether.operator.credential.ApiKeyStore;
import dev.tether.operator.credential.CredentialsByNodeName;
import dev.tether.operator.discovery.Registrations;
import dev.tether.operator.persistence.PersistenceSecret;
import dev.tether.operator.persistence.PersistenceStore;
import dev.tether.operator.trust.HostKeySigner;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node API without its transport: a request in, an answer out. In order: the path, the node's credential,
 * its key where the endpoint needs one (a wrong key, or any request to the unauthenticated endpoint, then meets the
 * failure budgets), then the endpoint. Every refusal goes through {@link RefusalAudit}; an unexpected error becomes
 * a 500 that says where to look, never a stack trace.
 */
public final class NodeApiService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeApiService.class);

    private static final Pattern PERSISTENCE_TOKEN = Pattern.compile(
            "^" + NodeApi.PERSISTENCE_TOKEN_PREFIX + "[A-Za-z0-9_-]{43}$");

    private final Map<String, Endpoint> endpoints;
    private final DiscoveryEndpoint discovery;
    private final NodeDirectory directory;
    private final NodeAuthenticator authenticator;
    private final FailureLimiter limiter;
    private final RefusalAudit audit;
    private final MeterRegistry metrics;
    private final PersistenceSecret persistenceSecrets;
    private final PersistenceUploads uploads;
    private final CachedReads cache;
    private final RequestTimings timings;
    private final DeferredEvents deferredEvents = new DeferredEvents();

    /** @param credentials the NodeCredential controller's cache, indexed by node name: nodes are looked up there only */
    public NodeApiService(KubernetesClient client, OperatorConfig config, CredentialsByNodeName credentials, HostKeySigner signer,
                          MeterRegistry metrics, Clock clock) {
        var settings = config.nodeApi();
        this.metrics = metrics;
        this.timings = new RequestTimings(metrics);
        var keys = new ApiKeyStore(client, clock);
        var events = new EventRecorder(client);
        this.directory = new NodeDirectory(credentials, config.watchNamespaces());
        this.authenticator = new NodeAuthenticator(keys, credentials);
        this.limiter = new FailureLimiter(settings.failuresPerNode(), settings.failuresPerSource(), settings.failureWindow(), clock);
        this.audit = new RefusalAudit(metrics, events, limiter, directory);
        PersistenceStore store;
        try {
            store = new PersistenceStore(settings.persistence().directory());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use the persistence volume " + settings.persistence().directory(), e);
        }
        // Started after everything that can fail here: its informers run until close().
        this.cache = CachedReads.start(client, config.watchNamespaces());
        var profiles = new ProfileReader(client, cache);
        this.persistenceSecrets = new PersistenceSecret(client);
        this.uploads = new PersistenceUploads(profiles, persistenceSecrets, store, settings.persistence(), settings.requestTimeout(),
                metrics);
        this.endpoints = Map.of(
                NodeApi.API_KEY, new ApiKeyEndpoint(keys, events),
                NodeApi.BOOT_CONFIG, new BootConfigEndpoint(client, profiles, signer.caPublicKey()),
                NodeApi.IMAGE_KEY, new ImageKeyEndpoint(client, profiles, cache),
                NodeApi.HOST_CERTIFICATES, new HostCertificatesEndpoint(client, profiles, signer, settings.sshPrincipals(), events, clock),
                NodeApi.BOOT_REPORT, new BootReportEndpoint(client, clock, metrics, deferredEvents),
                NodeApi.BOOT_FILES, new BootFilesEndpoint(client, profiles, clock),
                NodeApi.PERSISTENCE_KEY, new PersistenceKeyEndpoint(profiles, persistenceSecrets, settings.persistence()),
                NodeApi.PERSISTENCE, new PersistenceArchiveEndpoint(persistenceSecrets, store));
        this.discovery = new DiscoveryEndpoint(client, credentials, new Registrations(client, clock, metrics), limiter,
                config.watchNamespaces());
    }

    /** Stops the caches' informers, and records the events still waiting. */
    @Override
    public void close() {
        cache.close();
        deferredEvents.close();
    }

    MeterRegistry metrics() {
        return metrics;
    }

    RequestTimings timings() {
        return timings;
    }

    public Reply handle(NodeCall call) {
        NodePath path = null;
        NodeCredential credential = null;
        try {
            var discoveryPath = DiscoveryEndpoint.DiscoveryPath.parse(call.rawPath());
            if (discoveryPath.isPresent()) {
                return discover(discoveryPath.get(), call);
            }
            path = NodePath.parse(call.rawPath());
            Endpoint endpoint = endpoints.get(path.endpoint());
            if (endpoint == null) {
                throw new Refusal(404, "NotFound", "no endpoint " + path.endpoint() + "; the node API has "
                        + String.join(", ", new TreeSet<>(endpoints.keySet())));
            }
            if (!endpoint.method().equals(call.method())) {
                throw new Refusal(405, "MethodNotAllowed", path.endpoint() + " takes " + endpoint.method() + ", not " + call.method());
            }
            credential = directory.find(path.namespace(), path.node()).orElse(null);
            if (endpoint.authenticated()) {
                authenticate(endpoint, path, call, credential);
            } else {
                // What the unauthenticated endpoint checks (the node's hardware) is no secret and may be guessed: while a
                // budget is spent, nothing is tried at all.
                backOff(path, call);
                if (credential == null) {
                    throw new Refusal(404, "UnknownNode", "no NodeCredential in namespace " + path.namespace() + " has spec.nodeName "
                            + path.node() + "; an administrator must create one before this node can boot");
                }
            }
            return endpoint.handle(new Endpoint.NodeContext(path, call, credential));
        } catch (Refusal refusal) {
            audit.refused(path, credential, call, refusal);
            return refusal.reply();
        } catch (RuntimeException e) {
            // The exception's message is ours or the Kubernetes client's, never the request's content.
            LOG.error("node API failed on {} for {}: {}", call, path, e.toString());
            LOG.debug("node API failure", e);
            return Reply.error(500, "InternalError", "the operator could not answer this request; its log says why");
        }
    }

    /**
     * The key check: the API key, or, where the endpoint takes it, this boot's persistence token. It is made whatever the
     * budgets say, so failures that strangers caused for this node's name or at its edge never lock out the node that
     * holds its key; a spent budget only turns a failure into 429.
     */
    private void authenticate(Endpoint endpoint, NodePath path, NodeCall call, NodeCredential credential) throws Refusal {
        try {
            String authorization = call.authorization();
            if (endpoint.takesPersistenceToken() && authorization != null
                    && authorization.startsWith(NodeApi.BEARER + NodeApi.PERSISTENCE_TOKEN_PREFIX)) {
                String token = authorization.substring(NodeApi.BEARER.length());
                // As for API keys: the Secret is read only for a well-formed token of a known node that this operator
                // does not remember, and not while the request's budgets are spent.
                boolean spent = limiter.retryAfterSeconds(path.namespace() + "/" + path.node(), call.source()) > 0;
                if (credential == null || !PERSISTENCE_TOKEN.matcher(token).matches()
                        || !persistenceSecrets.tokenMatches(credential, token, !spent)) {
                    throw new Refusal(401, "BadCredentials", "node " + path.namespace() + "/" + path.node() + " is unknown or"
                            + " the persistence token is not its current boot's; a node gets a new one with its API key at boot");
                }
                return;
            }
            authenticator.authenticate(credential, authorization, path.namespace(), path.node(),
                    () -> limiter.retryAfterSeconds(path.namespace() + "/" + path.node(), call.source()) > 0);
        } catch (Refusal wrongKey) {
            backOff(path, call);
            throw wrongKey;
        }
    }

    /**
     * The head of a {@code PUT persistence}: decided (and refused, audited like any refusal) before any of its body is
     * read. Either a reply to send, and the connection closed, or an upload to stream the body into.
     */
    public UploadStart beginUpload(NodeCall call, long declaredLength) {
        NodePath path = null;
        NodeCredential credential = null;
        try {
            path = NodePath.parse(call.rawPath());
            if (!path.endpoint().equals(NodeApi.PERSISTENCE)) {
                throw new Refusal(405, "MethodNotAllowed", path.endpoint() + " takes no PUT");
            }
            Endpoint archive = endpoints.get(NodeApi.PERSISTENCE);
            credential = directory.find(path.namespace(), path.node()).orElse(null);
            authenticate(archive, path, call, credential);
            return new UploadStart(null, uploads.begin(new Endpoint.NodeContext(path, call, credential), declaredLength));
        } catch (Refusal refusal) {
            audit.refused(path, credential, call, refusal);
            return new UploadStart(refusal.reply(), null);
        } catch (RuntimeException e) {
            LOG.error("node API failed on {} for {}: {}", call, path, e.toString());
            LOG.debug("node API failure", e);
            return new UploadStart(Reply.error(500, "InternalError", "the operator could not answer this request; its log says why"), null);
        }
    }

    /** The body arrived whole: stores it as the node's archive. */
    Reply finishUpload(PersistenceUploads.Receiving upload) {
        try {
            return uploads.commit(upload);
        } catch (Refusal refusal) {
            audit.refused(upload.context.path(), upload.context.credential(), upload.context.call(), refusal);
            return refusal.reply();
        } catch (RuntimeException e) {
            LOG.error("node API could not store the archive of {}: {}", upload.context.path(), e.toString());
            LOG.debug("node API failure", e);
            return Reply.error(500, "InternalError", "the operator could not store the archive; its log says why");
        }
    }

    /** The body broke a bound, or the connection ended: nothing of it stays. */
    Reply refuseUpload(PersistenceUploads.Receiving upload, Refusal refusal) {
        uploads.end(upload);
        if (refusal == null) {
            return null;
        }
        audit.refused(upload.context.path(), upload.context.credential(), upload.context.call(), refusal);
        return refusal.reply();
    }

    /** What the head of an upload decided: a reply to end with, or the upload to receive. */
    public record UploadStart(Reply refused, PersistenceUploads.Receiving upload) {
    }

    /** A registration of an unknown machine: there is no node yet, so no node budget, event or credential to audit. */
    private Reply discover(DiscoveryEndpoint.DiscoveryPath path, NodeCall call) {
        try {
            return discovery.handle(path, call);
        } catch (Refusal refusal) {
            audit.refusedRegistration(path, call, refusal);
            return refusal.reply();
        } catch (RuntimeException e) {
            LOG.error("node API failed on {} for {}: {}", call, path, e.toString());
            LOG.debug("node API failure", e);
            return Reply.error(500, "InternalError", "the operator could not answer this request; its log says why");
        }
    }

    private void backOff(NodePath path, NodeCall call) throws Refusal {
        long wait = limiter.retryAfterSeconds(path.namespace() + "/" + path.node(), call.source());
        if (wait > 0) {
            throw Refusal.rateLimited("too many refused requests for this node or from this address; try again in " + wait + " s", wait);
        }
    }

    /** The body was larger than {@link NodeApi#MAX_BODY_BYTES}: refused before it was read. */
    public Reply refuseOversized(NodeCall call) {
        return refuse(call, new Refusal(413, "BodyTooLarge", "request bodies are at most " + NodeApi.MAX_BODY_BYTES + " bytes"));
    }

    /** The request could not be decoded (request line or headers too long, not HTTP). */
    public Reply refuseUndecodable(NodeCall call, int status, String message) {
        return refuse(call, new Refusal(status, "BadRequest", message));
    }

    private Reply refuse(NodeCall call, Refusal refusal) {
        NodePath path = null;
        NodeCredential credential = null;
        try {
            path = NodePath.parse(call.rawPath());
            credential = directory.find(path.namespace(), path.node()).orElse(null);
        } catch (Refusal | RuntimeException ignored) {
            // Still refused for its size or form; the audit just knows less about whom it concerned.
        }
        audit.refused(path, credential, call, refusal);
        return refusal.reply();
    }
}

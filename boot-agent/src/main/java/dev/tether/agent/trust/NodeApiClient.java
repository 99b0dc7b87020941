package dev.tether.agent.trust;

import dev.tether.agent.AgentConsole;
import dev.tether.agent.image.Backoff;
import dev.tether.nodeapi.ApiError;
import dev.tether.nodeapi.ApiKeyIssued;
import dev.tether.nodeapi.ArmingRequest;
import dev.tether.nodeapi.BootConfiguration;
import dev.tether.nodeapi.BootFiles;
import dev.tether.nodeapi.BootReport;
import dev.tether.nodeapi.DiscoveryAnswer;
import dev.tether.nodeapi.DiscoveryRequest;
import dev.tether.nodeapi.HostCertificates;
import dev.tether.nodeapi.HostKeys;
import dev.tether.nodeapi.ImageKeyIssued;
import dev.tether.nodeapi.NodeApi;
import dev.tether.nodeapi.NodeApiJson;
import dev.tether.nodeapi.PersistenceKey;
import dev.tether.nodeapi.PersistenceSaved;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;

/**
 * The node API as the agent calls it (docs/contracts.md, "Node API"): HTTPS to the profile's node API URLs
 * (edges' pass-through ports), tried in turn. Network failures, timeouts and server errors move on to the
 * next URL, and after a round over all of them the client backs off and tries again, a bounded number of
 * rounds; a refusal ({@code {"error":…}}) ends the call at once as a {@link NodeApiRefusal}. Answers are
 * read up to a limit. The API key travels only in the request header, and no line this class prints
 * carries it.
 */
public final class NodeApiClient {
    /** The largest answer read: a boot configuration with many authorised keys stays far below it. */
    static final int MAX_ANSWER_BYTES = 256 * 1024;

    /**
     * @param rounds         how many times all URLs are tried before the call fails
     * @param backoff        the pause between rounds
     * @param maxRetryAfter  the longest {@code Retry-After} of a rate-limit answer that is waited for
     */
    public record Settings(Duration connectTimeout, Duration requestTimeout, int rounds, Backoff backoff,
            Duration maxRetryAfter) {
        /**
         * About two minutes of patience in all, as the edges get for the manifest. The connect timeout covers the
         * TLS handshake too (the JDK client's), and the first handshake of a JVM just started, under emulation or on
         * a slow core, took over 3 s: every first call of a boot timed out once on every URL (issue #16).
         */
        public static final Settings DEFAULT = new Settings(Duration.ofSeconds(10), Duration.ofSeconds(15), 8,
                new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(15)), Duration.ofSeconds(30));
    }

    /** How the client waits between rounds; tests pass one that does not sleep. */
    @FunctionalInterface
    public interface Sleeper {
        Sleeper REAL = duration -> Thread.sleep(duration.toMillis());

        void sleep(Duration duration) throws InterruptedException;
    }

    private final List<URI> bases;
    private final String namespace;
    private final String node;
    private final Settings settings;
    private final Sleeper sleeper;
    private final AgentConsole console;
    private final HttpClient http;

    public NodeApiClient(List<URI> bases, String namespace, String node, SSLContext tls, Settings settings,
            Sleeper sleeper, AgentConsole console) {
        if (bases.isEmpty()) {
            throw new IllegalArgumentException("no node API URLs");
        }
        this.bases = List.copyOf(bases);
        this.namespace = namespace;
        this.node = node;
        this.settings = settings;
        this.sleeper = sleeper;
        this.console = console;
        this.http = HttpClient.newBuilder()
                .sslContext(tls)
                .connectTimeout(settings.connectTimeout())
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** The same URLs, credential and patience, over other TLS trust. */
    public NodeApiClient trusting(SSLContext tls) {
        return new NodeApiClient(bases, namespace, node, tls, settings, sleeper, console);
    }

    /** {@code namespace/node}, as messages name the credential. */
    public String credential() {
        return node == null ? namespace + " (an unregistered machine)" : namespace + "/" + node;
    }

    public String namespace() {
        return namespace;
    }

    public String node() {
        return node;
    }

    /** {@code POST api-key}: a new key, issued only while the credential is armed and the hardware matches. */
    public ApiKeyIssued requestApiKey(ArmingRequest request) throws IOException, NodeApiRefusal {
        return call("a new API key", "POST", nodePath(NodeApi.API_KEY), null, request, ApiKeyIssued.class);
    }

    /** {@code GET boot-config}. */
    public BootConfiguration bootConfiguration(ApiKey key) throws IOException, NodeApiRefusal {
        return call("the boot configuration", "GET", nodePath(NodeApi.BOOT_CONFIG), key, null, BootConfiguration.class);
    }

    /** {@code GET image-key?digest=}. */
    public ImageKeyIssued imageKey(ApiKey key, String imageDigest) throws IOException, NodeApiRefusal {
        return call("the image key", "GET", nodePath(NodeApi.IMAGE_KEY) + "?digest=" + URLEncoder.encode(imageDigest, StandardCharsets.UTF_8),
                key, null, ImageKeyIssued.class);
    }

    /** {@code POST host-certificates}. */
    public HostCertificates signHostKeys(ApiKey key, HostKeys keys) throws IOException, NodeApiRefusal {
        return call("host certificates", "POST", nodePath(NodeApi.HOST_CERTIFICATES), key, keys, HostCertificates.class);
    }

    /** {@code POST boot-report}. */
    public void report(ApiKey key, BootReport report) throws IOException, NodeApiRefusal {
        call("the boot report", "POST", nodePath(NodeApi.BOOT_REPORT), key, report, Void.class);
    }

    /** {@code POST boot-files}. */
    public void bootFiles(ApiKey key, BootFiles files) throws IOException, NodeApiRefusal {
        call("the boot's file list", "POST", nodePath(NodeApi.BOOT_FILES), key, files, Void.class);
    }

    /**
     * {@code POST} to the profile's {@code discovery}, no key: this unknown machine registers, and hears whether it is
     * enrolled yet.
     */
    public DiscoveryAnswer register(String profile, DiscoveryRequest request) throws IOException, NodeApiRefusal {
        return call("the registration", "POST", NodeApi.discoveryPath(namespace, profile), null, request, DiscoveryAnswer.class);
    }

    /** {@code GET persistence-key}: the node's archive key, stored generation, limits and this boot's token. */
    public PersistenceKey persistenceKey(ApiKey key) throws IOException, NodeApiRefusal {
        return call("the persistence key", "GET", nodePath(NodeApi.PERSISTENCE_KEY), key, null, PersistenceKey.class);
    }

    /**
     * {@code GET persistence}, with this boot's token: the stored archive, written to {@code into}; its generation as the
     * operator records it, or empty when the node has none yet.
     *
     * @throws IOException when the archive announced is larger than {@code maxBytes} (nothing of it is read)
     */
    public Optional<Long> downloadArchive(String token, Path into, long maxBytes) throws IOException, NodeApiRefusal {
        HttpResponse.BodyHandler<Object> handler = info -> {
            if (info.statusCode() != 200) {
                return HttpResponse.BodySubscribers.mapping(BoundedBody.handler(MAX_ANSWER_BYTES).apply(info), body -> body);
            }
            long length = info.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (length < 0 || length > maxBytes) {
                return HttpResponse.BodySubscribers.replacing(TOO_LARGE);
            }
            return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.ofFile(into, StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING), path -> path);
        };
        try {
            HttpResponse<Object> response = transfer("the node's archive", "GET", nodePath(NodeApi.PERSISTENCE), token,
                    HttpRequest.BodyPublishers.noBody(), handler, maxBytes);
            if (response.body() == TOO_LARGE) {
                throw new IOException("the operator's archive of this node is larger than its limit of " + maxBytes + " bytes");
            }
            String generation = response.headers().firstValue(NodeApi.PERSISTENCE_GENERATION)
                    .orElseThrow(() -> new IOException("the node API answered the archive without its generation"));
            return Optional.of(Long.parseLong(generation));
        } catch (NodeApiRefusal refusal) {
            if (refusal.status() == 404 && "NoArchive".equals(refusal.code())) {
                return Optional.empty();
            }
            throw refusal;
        }
    }

    /** {@code PUT persistence?generation=}, with this boot's token: {@code archive} as the node's archive {@code generation}. */
    public PersistenceSaved uploadArchive(String token, long generation, Path archive) throws IOException, NodeApiRefusal {
        long bytes = Files.size(archive);
        HttpResponse<Object> response = transfer("the node's archive", "PUT", nodePath(NodeApi.PERSISTENCE) + "?generation="
                + generation, token, HttpRequest.BodyPublishers.ofFile(archive),
                info -> HttpResponse.BodySubscribers.mapping(BoundedBody.handler(MAX_ANSWER_BYTES).apply(info), body -> body), bytes);
        return parse("the node's archive", URI.create(response.uri().getScheme() + "://" + response.uri().getAuthority()),
                response.statusCode(), (byte[]) response.body(), PersistenceSaved.class);
    }

    /** A marker body: the archive announced was too large, so none of it was read. */
    private static final Object TOO_LARGE = new Object();

    /**
     * One streamed exchange with the URLs in turn, as {@link #call} does, with a timeout that grows with the bytes moved
     * (at least 256 KiB/s) instead of a JSON answer's; a refusal ends it at once.
     */
    private HttpResponse<Object> transfer(String what, String method, String path, String token,
            HttpRequest.BodyPublisher body, HttpResponse.BodyHandler<Object> handler, long bytes)
            throws IOException, NodeApiRefusal {
        Duration timeout = settings.requestTimeout().multipliedBy(2).plusSeconds(bytes >> 18);
        List<String> failures = new ArrayList<>();
        for (int round = 1; round <= settings.rounds(); round++) {
            failures.clear();
            Duration asked = Duration.ZERO;
            for (URI base : bases) {
                HttpRequest request = HttpRequest.newBuilder(URI.create(base + path))
                        .timeout(settings.requestTimeout())
                        .header("User-Agent", "tether-agent")
                        .header(NodeApi.AUTHORIZATION, NodeApi.BEARER + token)
                        .method(method, body)
                        .build();
                HttpResponse<Object> response;
                try {
                    response = BoundedExchange.send(http, request, handler, timeout);
                } catch (IOException e) {
                    failures.add(base + ": " + oneLine(e));
                    continue;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while moving " + what, e);
                }
                int status = response.statusCode();
                if (status / 100 == 2) {
                    return response;
                }
                byte[] error = response.body() instanceof byte[] b ? b : new byte[0];
                if (status == 503) {
                    // As in call: busy behind one edge is busy behind all; sending the archive again at once would
                    // only add to the queue that refused it.
                    asked = retryAfter(response);
                    failures.add(base + ": HTTP 503" + refusalText(error));
                    break;
                }
                if (status == 429 || status / 100 == 5) {
                    failures.add(base + ": HTTP " + status + refusalText(error));
                    continue;
                }
                throw refusal(what, status, error);
            }
            if (round < settings.rounds()) {
                try {
                    sleeper.sleep(pause(round, asked));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for the node API", e);
                }
            }
        }
        throw new NodeApiUnreachableException("no node API URL took " + what + ": " + String.join("; ", failures));
    }

    private String nodePath(String endpoint) {
        return NodeApi.path(namespace, node, endpoint);
    }

    private <T> T call(String what, String method, String path, ApiKey key, Object body,
            Class<T> answer) throws IOException, NodeApiRefusal {
        byte[] json = body == null ? null : NodeApiJson.JSON.asBytes(body);
        if (json != null && json.length > NodeApi.MAX_BODY_BYTES) {
            throw new IOException("the request for " + what + " is " + json.length + " bytes, more than the node API's"
                    + " limit of " + NodeApi.MAX_BODY_BYTES);
        }
        List<String> failures = new ArrayList<>();
        for (int round = 1; round <= settings.rounds(); round++) {
            failures.clear();
            boolean onlyTrustFailures = true;
            Duration rateLimited = Duration.ZERO;
            for (URI base : bases) {
                HttpResponse<byte[]> response;
                try {
                    response = send(URI.create(base + path), method, key, json);
                } catch (SSLHandshakeException e) {
                    failures.add(base + ": " + oneLine(e));
                    continue;
                } catch (IOException e) {
                    failures.add(base + ": " + oneLine(e));
                    onlyTrustFailures = false;
                    continue;
                }
                onlyTrustFailures = false;
                int status = response.statusCode();
                if (status / 100 == 2) {
                    return parse(what, base, status, response.body(), answer);
                }
                if (status == 429) {
                    Duration wait = retryAfter(response);
                    rateLimited = wait.compareTo(rateLimited) > 0 ? wait : rateLimited;
                    failures.add(base + ": rate-limited (HTTP 429" + refusalText(response.body()) + ")");
                    continue;
                }
                if (status == 503) {
                    // Every URL leads to the one node API (the edges relay TLS untouched): busy behind one edge is busy
                    // behind all, and asking through the next at once only queues another request and TLS handshake
                    // where the queue is already full. Wait as it asks.
                    Duration wait = retryAfter(response);
                    rateLimited = wait.compareTo(rateLimited) > 0 ? wait : rateLimited;
                    failures.add(base + ": HTTP 503" + refusalText(response.body()));
                    break;
                }
                if (status / 100 == 5) {
                    failures.add(base + ": HTTP " + status + refusalText(response.body()));
                    continue;
                }
                throw refusal(what, status, response.body());
            }
            if (onlyTrustFailures) {
                // A certificate the cluster CA did not sign, or for another name, will not change by waiting.
                break;
            }
            if (round < settings.rounds()) {
                Duration pause = pause(round, rateLimited);
                console.warn("node API: " + what + " failed on every URL (" + String.join("; ", failures)
                        + "); retrying in " + pause.toSeconds() + "s");
                try {
                    sleeper.sleep(pause);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for the node API", e);
                }
            }
        }
        throw new NodeApiUnreachableException("no node API URL answered for " + what + ": " + String.join("; ", failures)
                + "; check that the edges' node API ports are up, that the operator's node API runs, and that the"
                + " addon archive's CA certificate is the cluster's");
    }

    private HttpResponse<byte[]> send(URI uri, String method, ApiKey key, byte[] json) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(settings.requestTimeout())
                .header("Accept", "application/json")
                .header("User-Agent", "tether-agent");
        if (key != null) {
            request.header(NodeApi.AUTHORIZATION, key.authorization());
        }
        if (json != null) {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(json));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        try {
            // The request timeout covers the headers; the deadline also bounds the body.
            return BoundedExchange.send(http, request.build(), BoundedBody.handler(MAX_ANSWER_BYTES),
                    settings.requestTimeout().multipliedBy(2));
        } catch (IOException e) {
            if (e.getCause() instanceof SSLHandshakeException handshake) {
                throw handshake;
            }
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the node API", e);
        }
    }

    private static <T> T parse(String what, URI base, int status, byte[] body, Class<T> answer) throws IOException {
        if (answer == Void.class) {
            return null;
        }
        if (status == 204 || body.length == 0) {
            throw new IOException(base + " answered the request for " + what + " with no body (HTTP " + status + ")");
        }
        try {
            return NodeApiJson.JSON.beanFrom(answer, body);
        } catch (IOException e) {
            throw new IOException(base + " answered the request for " + what + " with something that is not "
                    + answer.getSimpleName() + " JSON", e);
        }
    }

    private static NodeApiRefusal refusal(String what, int status, byte[] body) {
        ApiError error = apiError(body);
        return new NodeApiRefusal(what, status, error == null ? "" : NodeApiRefusal.clean(error.error()),
                error == null ? "" : NodeApiRefusal.clean(error.message()));
    }

    private static String refusalText(byte[] body) {
        ApiError error = apiError(body);
        return error == null ? "" : " " + NodeApiRefusal.clean(error.error()) + ": " + NodeApiRefusal.clean(error.message());
    }

    private static ApiError apiError(byte[] body) {
        try {
            return body.length == 0 ? null : NodeApiJson.JSON.beanFrom(ApiError.class, body);
        } catch (IOException e) {
            return null;
        }
    }

    /** The wait before round {@code round + 1}: the backoff's, or longer where the node API asked for longer. */
    private Duration pause(int round, Duration asked) {
        Duration backoff = Duration.ofNanos(settings.backoff().delayNanos(round));
        return asked.compareTo(backoff) > 0 ? asked : backoff;
    }

    private Duration retryAfter(HttpResponse<?> response) {
        Optional<String> header = response.headers().firstValue("Retry-After");
        long seconds = 1;
        if (header.isPresent()) {
            try {
                seconds = Math.max(0, Long.parseLong(header.get().strip()));
            } catch (NumberFormatException e) {
                seconds = 1;
            }
        }
        Duration wait = Duration.ofSeconds(seconds);
        return wait.compareTo(settings.maxRetryAfter()) > 0 ? settings.maxRetryAfter() : wait;
    }

    private static String oneLine(Throwable e) {
        Throwable cause = e;
        // The JDK client wraps the interesting reason (connection refused, certificate) a level or two down.
        while ((cause.getMessage() == null || cause.getMessage().isBlank()) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        String message = cause.getMessage();
        if (message == null || message.isBlank()) {
            message = cause.getClass().getSimpleName();
        }
        return message.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    /** No URL answered in any round. */
    public static final class NodeApiUnreachableException extends IOException {
        private static final long serialVersionUID = 1L;

        NodeApiUnreachableException(String message) {
            super(message);
        }
    }
}

package dev.tether.agent;

import dev.tether.agent.trust.BoundedBody;
import dev.tether.agent.trust.BoundedExchange;
import dev.tether.contracts.BlobDigest;
import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.ImageFormatException;
import dev.tether.image.format.Manifest;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Fetches the build's manifest ({@code <edge>/blobs/sha256/<hex>}) from the first edge that has it. The
 * manifest's own sha256 is the image digest, so a wrong or damaged answer is recognised and the next edge
 * asked. The network may still be settling at boot, so the edges are asked again, with growing pauses,
 * until the patience runs out.
 *
 * <p>The digest binds the bytes only once they are all read, so an edge's answer is bounded before that, in size and
 * in time: the JDK client's byte-array body read whatever an edge sent before its size was looked at (a 32 MiB heap
 * filled after 27 MiB and the fetch never returned), and its request timeout ends at the head, so an edge that
 * trickled its body held the boot for as long as it liked. Either way the edges after it were never asked.
 */
public final class ManifestResolver {
    /** For the head; the whole answer gets twice this, as the node API's do (the largest manifest at 52 KiB/s). */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration FIRST_PAUSE = Duration.ofMillis(500);
    private static final Duration MAX_PAUSE = Duration.ofSeconds(5);
    /**
     * A manifest is a few hundred bytes, or up to 683 KiB for an unencrypted image, whose manifest pins every chunk's
     * hash (at most {@link dev.tether.image.format.ChunkHashes#MAX_CHUNKS}); anything larger is not one.
     */
    private static final int MAX_BYTES = 1 << 20;

    private final HttpClient http;
    private final Duration patience;
    private final Duration requestTimeout;
    private final AgentConsole console;

    public ManifestResolver(HttpClient http, Duration patience, AgentConsole console) {
        this(http, patience, REQUEST_TIMEOUT, console);
    }

    ManifestResolver(HttpClient http, Duration patience, Duration requestTimeout, AgentConsole console) {
        this.http = http;
        this.patience = patience;
        this.requestTimeout = requestTimeout;
        this.console = console;
    }

    public Manifest fetch(List<URI> edges, String imageDigest) throws IOException, BootConfigException {
        long deadline = System.nanoTime() + patience.toNanos();
        Duration pause = FIRST_PAUSE;
        while (true) {
            List<String> failures = new ArrayList<>();
            for (URI edge : edges) {
                try {
                    return fetchFrom(edge, imageDigest);
                } catch (EdgeAnswerException e) {
                    failures.add(edge + ": " + e.getMessage());
                }
            }
            if (System.nanoTime() + pause.toNanos() > deadline) {
                throw new IOException("no edge could serve the manifest " + imageDigest + " (" + String.join("; ", failures)
                        + "); check that the edges are up and reachable and that the image is published");
            }
            console.info("no edge has served the manifest yet (" + String.join("; ", failures) + "); retrying in "
                    + pause.toMillis() + " ms");
            sleep(pause);
            pause = pause.multipliedBy(2).compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : pause.multipliedBy(2);
        }
    }

    private Manifest fetchFrom(URI edge, String imageDigest) throws EdgeAnswerException, BootConfigException {
        URI uri = URI.create(edge + BlobDigest.parse(imageDigest).path());
        Duration wholeAnswer = requestTimeout.multipliedBy(2);
        HttpResponse<byte[]> response;
        try {
            // The request timeout covers the head only; the deadline also bounds the body (cancelled at it, the
            // exchange's connection is closed, so the edge's trickle costs nothing after that).
            response = BoundedExchange.send(http, HttpRequest.newBuilder(uri).timeout(requestTimeout).GET().build(),
                    BoundedBody.handler(MAX_BYTES), wholeAnswer);
        } catch (IOException e) {
            throw new EdgeAnswerException(switch (e) {
                case BoundedExchange.Late late -> "no whole answer within " + wholeAnswer.toSeconds() + "s";
                case BoundedBody.TooLarge tooLarge -> "sent more than the " + MAX_BYTES + " bytes a manifest may have";
                case HttpTimeoutException timeout -> "no answer within " + requestTimeout.toSeconds() + "s";
                case ConnectException refused -> "cannot connect"
                        + (refused.getMessage() == null ? "" : " (" + refused.getMessage() + ")");
                default -> BootTimeline.oneLine(e);
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EdgeAnswerException("interrupted");
        }
        if (response.statusCode() == 404) {
            throw new EdgeAnswerException("not found (HTTP 404)");
        }
        if (response.statusCode() != 200) {
            throw new EdgeAnswerException("HTTP " + response.statusCode());
        }
        byte[] body = response.body();
        if (!ContentDigest.of(body).equals(imageDigest)) {
            throw new EdgeAnswerException("served content that does not match the digest");
        }
        try {
            return Manifest.parse(body);
        } catch (ImageFormatException e) {
            // The bytes are what the digest names, so every edge would serve the same: do not retry.
            throw new BootConfigException("the image " + imageDigest + " is not one this agent can boot: "
                    + e.getMessage() + "; rebuild the image or update the agent", e);
        }
    }

    private static void sleep(Duration pause) throws IOException {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for an edge", e);
        }
    }

    /** One edge did not give the manifest; the others may. */
    private static final class EdgeAnswerException extends Exception {
        private static final long serialVersionUID = 1L;

        EdgeAnswerException(String message) {
            super(message);
        }
    }
}

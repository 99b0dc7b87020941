package dev.tether.content.edge;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Fetches one blob from one source and pushes its bytes into a {@link Sink} as they arrive. Every
 * wait is bounded: connecting, the response head, each pause in the body (a source that stops
 * sending is abandoned so the next one can be tried), and a peer's whole answer (it must keep up
 * {@link FillSettings#peerMinBytesPerSecond} on average, or a trickle would hold the fill).
 */
final class FillClient implements AutoCloseable {

    /** Where the bytes go; calls come one at a time, in order. */
    interface Sink {
        /** The source answered 200 with this many bytes. */
        void begin(long contentLength) throws IOException;

        void accept(ByteBuffer data) throws IOException;

        /** All bytes arrived; verify them. */
        void end() throws IOException;
    }

    /** The source does not have the blob (404, or 504 from a peer asked only-if-cached). */
    static final class SourceMissing extends IOException {
        SourceMissing(String message) {
            super(message);
        }
    }

    private final ExecutorService executor;
    private final HttpClient http;
    private final ScheduledExecutorService watchdog;
    private final Duration headerTimeout;
    private final Duration stallTimeout;
    private final long peerMinBytesPerSecond;

    FillClient(FillSettings settings) {
        this.executor = Executors.newFixedThreadPool(4, Thread.ofPlatform().name("fill-", 0).daemon().factory());
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.connectTimeout()).followRedirects(HttpClient.Redirect.NEVER).executor(executor);
        if (settings.sslContext() != null) {
            b.sslContext(settings.sslContext());
        }
        this.http = b.build();
        this.watchdog = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("fill-watchdog").daemon().factory());
        this.headerTimeout = settings.headerTimeout();
        this.stallTimeout = settings.stallTimeout();
        this.peerMinBytesPerSecond = settings.peerMinBytesPerSecond();
    }

    CompletableFuture<Void> fetch(URI uri, boolean peer, Sink sink) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(headerTimeout).GET();
        if (peer) {
            request.header("Cache-Control", "only-if-cached");
        }
        return http.sendAsync(request.build(), info -> {
            long length = info.headers().firstValueAsLong("content-length").orElse(-1L);
            if (info.statusCode() != 200 || length < 0) {
                return HttpResponse.BodySubscribers.replacing(null);
            }
            return new SinkSubscriber(sink, length, peer);
        }).thenApply(response -> {
            int status = response.statusCode();
            if (status == 404 || status == 410 || (peer && status == 504)) {
                throw new CompletionException(new SourceMissing(uri + " answered " + status));
            }
            if (status != 200) {
                throw new CompletionException(new IOException(uri + " answered " + status));
            }
            if (response.headers().firstValue("content-length").isEmpty()) {
                throw new CompletionException(new IOException(uri + " sent no Content-Length"));
            }
            return null;
        });
    }

    /** Writes each buffer to the sink before asking for the next: the disk paces the download. */
    private final class SinkSubscriber implements HttpResponse.BodySubscriber<Void> {
        private final Sink sink;
        private final long length;
        private final CompletableFuture<Void> result = new CompletableFuture<>();
        private final long started = System.nanoTime();
        /** When the whole answer must have arrived: a peer's, from its length; the origin's is not bounded so. */
        private final long deadline;
        private volatile Flow.Subscription subscription;
        private volatile long lastProgress = started;
        private volatile long received;
        private ScheduledFuture<?> stallCheck;

        SinkSubscriber(Sink sink, long length, boolean peer) {
            this.sink = sink;
            this.length = length;
            double allowed = stallTimeout.toNanos() + length * 1e9 / peerMinBytesPerSecond;
            this.deadline = peer && allowed < Long.MAX_VALUE / 2 ? started + (long) allowed : Long.MAX_VALUE;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            try {
                sink.begin(length);
            } catch (IOException | RuntimeException e) {
                fail(e);
                return;
            }
            long period = Math.max(50, stallTimeout.toMillis() / 4);
            stallCheck = watchdog.scheduleAtFixedRate(this::checkStall, period, period, TimeUnit.MILLISECONDS);
            result.whenComplete((v, e) -> stallCheck.cancel(false));
            s.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (result.isDone()) {
                return;
            }
            try {
                for (ByteBuffer b : buffers) {
                    received += b.remaining();
                    sink.accept(b);
                }
            } catch (IOException | RuntimeException e) {
                fail(e);
                return;
            }
            lastProgress = System.nanoTime();
            subscription.request(1);
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            try {
                sink.end();
                result.complete(null);
            } catch (IOException | RuntimeException e) {
                result.completeExceptionally(e);
            }
        }

        @Override
        public CompletionStage<Void> getBody() {
            return result;
        }

        private void checkStall() {
            long now = System.nanoTime();
            if (now - lastProgress > stallTimeout.toNanos()) {
                fail(new IOException("the source sent nothing for " + stallTimeout.toMillis() + " ms"));
            } else if (deadline != Long.MAX_VALUE && now - deadline > 0) {
                fail(new IOException("the peer sent " + received + " of " + length + " bytes in "
                        + (now - started) / 1_000_000 + " ms, below the " + peerMinBytesPerSecond
                        + " bytes a second a peer's answer must keep up"));
            }
        }

        private void fail(Throwable t) {
            if (result.completeExceptionally(t)) {
                subscription.cancel();
            }
        }
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
        executor.shutdownNow();
    }
}

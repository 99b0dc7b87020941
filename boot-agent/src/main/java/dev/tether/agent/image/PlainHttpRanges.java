package dev.tether.agent.image;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Range requests to plain-HTTP edges over pooled keep-alive HTTP/1.1 connections, one blocking exchange
 * per request, on the caller's thread ({@link Exchange#run}) or on a virtual thread of its own ({@link #fetch}), the
 * body read straight into one buffer of exactly the range's size (a pooled direct one when the caller gives a pool,
 * see {@link RangeBody}).
 *
 * <p>Why not the JDK client: it reads every connection on its one selector thread into freshly allocated
 * 16 KiB buffers and hands them over on another thread, which costs some 8 ms of CPU per MiB; on two
 * cores that capped the data plane near 150 MiB/s before any decryption. Here a MiB costs the kernel's
 * copy (a chunk's sealed bytes are read straight into their buffer). HTTPS edges still go through the JDK client
 * ({@link ChunkFetcher}).
 *
 * <p>Cancelling the returned future (a hedge that lost, a stall) closes its connection, which ends the
 * blocked read; only a connection whose answer was read completely and correctly goes back to the pool.
 */
final class PlainHttpRanges implements Closeable {
    /** Heap bodies (the untethered download's ranges) are read through a buffer of this size. */
    private static final int IO_BUFFER = 128 << 10;
    private static final int MAX_HEAD = 16 << 10;
    private static final int IDLE_PER_EDGE = 32;
    private static final int FRESH_ATTEMPTS = 2;
    private static final byte[] END_OF_HEAD = {'\r', '\n', '\r', '\n'};

    private final Duration connectTimeout;
    private final ExecutorService threads = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("range-request-", 0).factory());
    private final Map<String, ConcurrentLinkedDeque<Connection>> idle = new ConcurrentHashMap<>();
    private volatile boolean closed;

    PlainHttpRanges(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    static boolean handles(URI blob) {
        return "http".equalsIgnoreCase(blob.getScheme()) && blob.getHost() != null && blob.getRawQuery() == null;
    }

    /**
     * Bytes {@code offset} to {@code offset + length - 1} of {@code blob}, checked by {@link RangeCheck}.
     *
     * @param bodies where to take the body's buffer from, or null for the heap; a body the returned future
     *               does not deliver (failed, cancelled) is given back here
     */
    CompletableFuture<RangeBody> fetch(URI blob, long offset, int length, ChunkBuffers bodies) {
        return start(exchange(blob, offset, length, bodies));
    }

    /** Runs {@code exchange} on a virtual thread of its own. */
    CompletableFuture<RangeBody> start(Exchange exchange) {
        try {
            threads.execute(exchange);
        } catch (RuntimeException e) {
            exchange.result.completeExceptionally(e);
        }
        return exchange.result;
    }

    /**
     * The exchange {@link #fetch} would start, not started: its caller runs it, blocking, on its own thread. Cancelling
     * {@link Exchange#result()} from another thread meanwhile closes its connection, which ends the blocked read.
     */
    Exchange exchange(URI blob, long offset, int length, ChunkBuffers bodies) {
        Exchange exchange = new Exchange(blob, offset, length, bodies);
        exchange.result.whenComplete((body, error) -> {
            if (error != null) {
                exchange.abort();
            }
        });
        return exchange;
    }

    @Override
    public void close() {
        closed = true;
        threads.shutdownNow();
        for (ConcurrentLinkedDeque<Connection> pool : idle.values()) {
            for (Connection connection; (connection = pool.poll()) != null; ) {
                connection.close();
            }
        }
    }

    /** One range request; {@link #run} completes {@link #result()} with its body, or exceptionally. */
    final class Exchange implements Runnable {
        private final CompletableFuture<RangeBody> result = new CompletableFuture<>();
        private final URI blob;
        private final long offset;
        private final int length;
        private final ChunkBuffers bodies;
        private Connection connection;
        private boolean finished;

        Exchange(URI blob, long offset, int length, ChunkBuffers bodies) {
            this.blob = blob;
            this.offset = offset;
            this.length = length;
            this.bodies = bodies;
        }

        CompletableFuture<RangeBody> result() {
            return result;
        }

        @Override
        public void run() {
            if (result.isDone()) {
                return;
            }
            String key = blob.getHost() + ":" + port(blob);
            ConcurrentLinkedDeque<Connection> pool = idle.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>());
            RangeBody body = null;
            try {
                // A pooled connection the edge has closed meanwhile fails before any answer: retry on a new one.
                for (Connection reused; body == null && (reused = pool.pollLast()) != null; ) {
                    if (!use(reused)) {
                        return;
                    }
                    try {
                        body = reused.exchange(request(), offset, length, bodies);
                    } catch (StaleConnection e) {
                        reused.close();
                    }
                }
                // A new connection dropped before any byte of an answer (a reset from a loaded edge's kernel, seen on
                // loopback too) is tried once more, as HTTP clients do for an idempotent GET; a second one is the edge's.
                for (int attempt = 1; body == null; attempt++) {
                    Connection fresh = Connection.open(blob, connectTimeout);
                    if (!use(fresh)) {
                        return;
                    }
                    try {
                        body = fresh.exchange(request(), offset, length, bodies);
                    } catch (StaleConnection e) {
                        fresh.close();
                        if (attempt == FRESH_ATTEMPTS) {
                            throw new EdgeFailure("closed " + FRESH_ATTEMPTS + " new connections without answering");
                        }
                    }
                }
                Connection done = release();
                if (done != null && result.complete(body)) {
                    body = null; // whoever takes the result owns it now
                    if (!done.reusable || closed || pool.size() >= IDLE_PER_EDGE) {
                        done.close();
                    } else {
                        pool.offerLast(done);
                    }
                } else {
                    // Aborted meanwhile: nobody takes this body.
                    if (done != null) {
                        done.close();
                    }
                    body.release();
                }
            } catch (IOException | RuntimeException e) {
                Connection broken = release();
                if (broken != null) {
                    broken.close();
                }
                if (body != null) {
                    body.release();
                }
                result.completeExceptionally(e);
            }
        }

        private byte[] request() {
            String path = blob.getRawPath() == null || blob.getRawPath().isEmpty() ? "/" : blob.getRawPath();
            return ("GET " + path + " HTTP/1.1\r\nHost: " + blob.getHost() + ":" + port(blob) + "\r\nRange: bytes="
                    + offset + "-" + (offset + length - 1) + "\r\nUser-Agent: tether-agent\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
        }

        /** Makes {@code c} this exchange's connection; false (and closes it) when the exchange was aborted. */
        private synchronized boolean use(Connection c) {
            if (finished) {
                c.close();
                return false;
            }
            connection = c;
            return true;
        }

        private synchronized Connection release() {
            Connection c = connection;
            connection = null;
            finished = true;
            return c;
        }

        synchronized void abort() {
            finished = true;
            if (connection != null) {
                connection.close();
                connection = null;
            }
        }
    }

    private static int port(URI uri) {
        return uri.getPort() > 0 ? uri.getPort() : 80;
    }

    /** The connection failed before any byte of an answer: it was stale, not the edge's fault. */
    private static final class StaleConnection extends IOException {
        private static final long serialVersionUID = 1L;

        StaleConnection(Throwable cause) {
            super(cause);
        }
    }

    private static final class Connection {
        private final SocketChannel channel;
        /**
         * The head, and what came with it. A direct body (a chunk's sealed bytes) is read straight into its buffer
         * after that; a heap body through {@link #stream}, made for the first one. Each pooled connection keeps
         * its buffers for its life, so they stay small where they can.
         */
        private final ByteBuffer io = ByteBuffer.allocateDirect(MAX_HEAD);
        private ByteBuffer stream;
        boolean reusable;

        private Connection(SocketChannel channel) {
            this.channel = channel;
        }

        static Connection open(URI blob, Duration timeout) throws IOException {
            SocketChannel channel = SocketChannel.open();
            try {
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                channel.socket().connect(new InetSocketAddress(blob.getHost(), port(blob)),
                        (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis())));
                return new Connection(channel);
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        }

        RangeBody exchange(byte[] request, long offset, int length, ChunkBuffers bodies) throws IOException {
            reusable = false;
            boolean answered = false;
            try {
                ByteBuffer out = ByteBuffer.wrap(request);
                while (out.hasRemaining()) {
                    channel.write(out);
                }
                io.clear();
                int headEnd;
                while ((headEnd = endOfHead()) < 0) {
                    if (!io.hasRemaining() || io.position() >= MAX_HEAD) {
                        throw new EdgeFailure("sent an answer head longer than " + MAX_HEAD + " bytes");
                    }
                    if (channel.read(io) < 0) {
                        throw new EOFException("connection closed");
                    }
                    answered = true;
                }
                io.flip();
                byte[] headBytes = new byte[headEnd];
                io.get(headBytes);
                io.position(headEnd + END_OF_HEAD.length);
                Head head = Head.parse(new String(headBytes, StandardCharsets.ISO_8859_1));
                long blobSize = RangeCheck.check(head.status, head.headers, offset, length);
                if (head.headers.firstValue("transfer-encoding").isPresent()) {
                    throw new EdgeFailure("answered a range request with a chunked body");
                }
                RangeBody body = RangeBody.empty(length, blobSize, bodies);
                try {
                    readBody(body.bytes());
                } catch (IOException | RuntimeException e) {
                    body.release();
                    throw e;
                }
                reusable = head.keepAlive && head.headers.firstValue("content-length").isPresent();
                return body;
            } catch (EdgeFailure e) {
                throw e;
            } catch (IOException e) {
                if (!answered) {
                    throw new StaleConnection(e);
                }
                throw e;
            }
        }

        /** Fills {@code body} with what follows the head in io, then from the connection, and flips it. */
        private void readBody(ByteBuffer body) throws IOException {
            int length = body.limit();
            if (io.remaining() > length) {
                throw new EdgeFailure("sent more than the " + length + " bytes of the range");
            }
            body.put(io);
            if (body.isDirect()) {
                while (body.hasRemaining()) {
                    if (channel.read(body) < 0) {
                        throw new EdgeFailure("ended the body after " + body.position() + " of " + length + " bytes");
                    }
                }
                body.flip();
                return;
            }
            // Reading a channel into a heap buffer would go through a temporary direct buffer of the read's size.
            if (stream == null) {
                stream = ByteBuffer.allocateDirect(IO_BUFFER);
            }
            while (body.hasRemaining()) {
                stream.clear().limit(Math.min(IO_BUFFER, body.remaining()));
                if (channel.read(stream) < 0) {
                    throw new EdgeFailure("ended the body after " + body.position() + " of " + length + " bytes");
                }
                body.put(stream.flip());
            }
            body.flip();
        }

        /** Where the head ends in the bytes read so far (io in write mode), or -1. */
        private int endOfHead() {
            int end = io.position();
            for (int i = 0; i + END_OF_HEAD.length <= end; i++) {
                if (io.get(i) == '\r' && io.get(i + 1) == '\n' && io.get(i + 2) == '\r' && io.get(i + 3) == '\n') {
                    return i;
                }
            }
            return -1;
        }

        void close() {
            try {
                channel.close();
            } catch (IOException e) {
                // Nothing to do: the connection is gone either way.
            }
        }
    }

    private record Head(int status, HttpHeaders headers, boolean keepAlive) {
        static Head parse(String text) throws EdgeFailure {
            String[] lines = text.split("\r\n");
            String[] statusLine = lines[0].split(" ", 3);
            if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.")) {
                throw new EdgeFailure("answered with something that is not HTTP/1.x: " + lines[0]);
            }
            int status;
            try {
                status = Integer.parseInt(statusLine[1]);
            } catch (NumberFormatException e) {
                throw new EdgeFailure("answered with an unreadable status line: " + lines[0]);
            }
            Map<String, List<String>> fields = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon >= 0) {
                    String name = lines[i].substring(0, colon).trim();
                    if (name.isEmpty()) {
                        throw new EdgeFailure("answered with a header line without a name: " + lines[i]);
                    }
                    fields.computeIfAbsent(name, k -> new ArrayList<>()).add(lines[i].substring(colon + 1).trim());
                }
            }
            HttpHeaders headers = HttpHeaders.of(fields, (name, value) -> true);
            String connection = headers.firstValue("connection").orElse("");
            boolean keepAlive = statusLine[0].equals("HTTP/1.0")
                    ? connection.equalsIgnoreCase("keep-alive")
                    : !connection.equalsIgnoreCase("close");
            return new Head(status, headers, keepAlive);
        }
    }
}

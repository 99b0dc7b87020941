package dev.tether.content.testing;

import dev.tether.content.edge.EdgeServer;
import dev.tether.content.edge.FillSettings;
import dev.tether.content.http.HttpSettings;
import dev.tether.content.origin.OriginServer;
import dev.tether.content.store.BearerToken;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;

/** Origins and edges on loopback ports chosen by the kernel, with timeouts short enough for tests. */
public final class TestServers {
    public static final String TOKEN = "test-upload-token";
    public static final String PREFETCH_TOKEN = "test-prefetch-token";

    private TestServers() {
    }

    public static HttpSettings fastHttp() {
        return HttpSettings.defaults().withTimeouts(Duration.ofMillis(800), Duration.ofMillis(800), Duration.ofSeconds(10))
                .withMaxUploadBytes(64L << 20);
    }

    public static FillSettings fastFill() {
        return new FillSettings(Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(3),
                FillSettings.DEFAULT_PEER_MIN_BYTES_PER_SECOND, null);
    }

    public static OriginServer origin(Path store) throws IOException {
        return OriginServer.start(new OriginServer.Config(store, BearerToken.of(TOKEN), loopback(), null, fastHttp(), 2));
    }

    public static EdgeServer edge(Path cache, long quota, String origin, List<String> peers) throws IOException {
        return edge(cache, quota, origin, peers, null, null);
    }

    public static EdgeServer edge(Path cache, long quota, String origin, List<String> peers, Path bootConfig,
                                  InetSocketAddress nodeApi) throws IOException {
        return EdgeServer.start(new EdgeServer.Config(cache, quota, origin, peers, loopback(),
                nodeApi == null ? null : loopback(), nodeApi, bootConfig, Duration.ofMillis(100), null, fastHttp(), fastFill(),
                Duration.ofMinutes(1), 2));
    }

    /** An edge that takes prefetch requests with {@link #PREFETCH_TOKEN} and times its fill back-offs by {@code clock}. */
    public static EdgeServer edge(Path cache, long quota, String origin, InstantSource clock) throws IOException {
        return EdgeServer.start(new EdgeServer.Config(cache, quota, origin, List.of(), loopback(), null, null, null,
                Duration.ofMillis(100), null, fastHttp(), fastFill(), Duration.ofMinutes(1), 2, BearerToken.of(PREFETCH_TOKEN), clock, false));
    }

    public static InetSocketAddress loopback() {
        return new InetSocketAddress("127.0.0.1", 0);
    }

    public static String url(int port) {
        return "http://127.0.0.1:" + port;
    }
}

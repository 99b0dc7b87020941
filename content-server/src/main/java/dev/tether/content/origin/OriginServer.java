package dev.tether.content.origin;

import dev.tether.content.http.BlobHandler;
import dev.tether.content.http.ClaimHandler;
import dev.tether.content.http.ContentRoutes;
import dev.tether.content.http.HealthHandler;
import dev.tether.content.http.HttpSettings;
import dev.tether.content.http.StoreAdminHandler;
import dev.tether.content.http.UploadHandler;
import dev.tether.content.metrics.ServerMetrics;
import dev.tether.content.server.ContentServer;
import dev.tether.content.server.ServerRuntime;
import dev.tether.content.store.BearerToken;
import dev.tether.content.store.BlobClaims;
import dev.tether.content.store.BlobStore;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The origin role: the store of record that builders upload to and edges fill from. */
public final class OriginServer extends ContentServer {
    private static final Logger log = LoggerFactory.getLogger(OriginServer.class);

    /**
     * @param tls null for plain HTTP
     */
    public record Config(Path storeDir, BearerToken token, InetSocketAddress bind, SslContext tls, HttpSettings http,
                         int ioThreads) {
    }

    private final BlobStore store;
    private final BlobClaims claims;

    private OriginServer(ServerRuntime runtime, ServerMetrics metrics, BlobStore store, BlobClaims claims, InetSocketAddress address) {
        super(runtime, metrics, address);
        this.claims = claims;
        this.store = store;
    }

    public static OriginServer start(Config c) throws IOException {
        BlobStore store = BlobStore.open(c.storeDir());
        BlobClaims claims = BlobClaims.open(c.storeDir(), c.token().clock());
        ServerMetrics metrics = new ServerMetrics("origin");
        ServerRuntime runtime = new ServerRuntime(c.ioThreads());
        try {
            ExecutorService commits = Executors.newFixedThreadPool(2, Thread.ofPlatform().name("upload-commit-", 0).daemon().factory());
            runtime.closeOnShutdown(commits::shutdown);
            ContentRoutes routes = ContentRoutes.origin(
                    new BlobHandler(store),
                    new StoreAdminHandler(store, store, c.token(), claims, commits),
                    new HealthHandler(metrics, () -> runtime.draining() ? "shutting down" : null),
                    new UploadHandler(store, claims, c.token(), c.http().maxUploadBytes(), commits),
                    new ClaimHandler(store, claims, c.token(), commits));
            InetSocketAddress bound = listen(runtime, c.bind(), c.tls(), c.http(), routes, metrics);
            log.info("origin serving {} on {} ({}, {})", store.directory(), bound, scheme(c.tls()),
                    runtime.transport().describe());
            return new OriginServer(runtime, metrics, store, claims, bound);
        } catch (IOException | RuntimeException e) {
            runtime.close();
            throw e;
        }
    }

    public BlobStore store() {
        return store;
    }

    public BlobClaims claims() {
        return claims;
    }
}

package dev.tether.content.edge;

import dev.tether.content.boot.LoadedBootConfig;
import dev.tether.content.boot.BootConfigWatcher;
import dev.tether.content.boot.BootScriptHandler;
import dev.tether.content.http.BlobHandler;
import dev.tether.content.http.ContentRoutes;
import dev.tether.content.http.HealthHandler;
import dev.tether.content.http.HttpSettings;
import dev.tether.content.http.StoreAdminHandler;
import dev.tether.content.metrics.ServerMetrics;
import dev.tether.content.nodeapi.NodeApiPassThrough;
import dev.tether.content.server.ContentServer;
import dev.tether.content.server.ServerRuntime;
import dev.tether.content.store.BearerToken;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The edge role: a collective member that nodes boot from. Holds no secrets. */
public final class EdgeServer extends ContentServer {
    private static final Logger log = LoggerFactory.getLogger(EdgeServer.class);

    /**
     * @param originUrl  the origin's base URL
     * @param peerUrls   other edges' base URLs, tried after the origin
     * @param apiBind    where nodes reach the node API through this edge, or null for none
     * @param nodeApi    the operator's node API Service that {@code apiBind} relays to
     * @param bootConfig the operator's boot configuration file, or null to serve no boot scripts
     * @param prefetchToken the bearer token {@code POST /prefetch} needs, or null to refuse every prefetch request
     * @param clock      what fill back-offs are timed by
     * @param nodeApiProxyProtocol whether relayed connections start with a PROXY protocol v2 header naming the node
     */
    public record Config(Path cacheDir, long quotaBytes, String originUrl, List<String> peerUrls, InetSocketAddress bind,
                         InetSocketAddress apiBind, InetSocketAddress nodeApi, Path bootConfig, Duration bootConfigPoll,
                         SslContext tls, HttpSettings http, FillSettings fill, Duration apiIdleTimeout, int ioThreads,
                         BearerToken prefetchToken, InstantSource clock, boolean nodeApiProxyProtocol) {

        /** An edge that takes no prefetch requests, on the system clock, without the PROXY protocol. */
        public Config(Path cacheDir, long quotaBytes, String originUrl, List<String> peerUrls, InetSocketAddress bind,
                      InetSocketAddress apiBind, InetSocketAddress nodeApi, Path bootConfig, Duration bootConfigPoll,
                      SslContext tls, HttpSettings http, FillSettings fill, Duration apiIdleTimeout, int ioThreads) {
            this(cacheDir, quotaBytes, originUrl, peerUrls, bind, apiBind, nodeApi, bootConfig, bootConfigPoll, tls, http, fill,
                    apiIdleTimeout, ioThreads, null, InstantSource.system(), false);
        }
    }

    private final EdgeCache cache;
    private final InetSocketAddress apiAddress;
    private final Supplier<LoadedBootConfig> bootConfig;

    private EdgeServer(ServerRuntime runtime, ServerMetrics metrics, EdgeCache cache, InetSocketAddress address,
                       InetSocketAddress apiAddress, Supplier<LoadedBootConfig> bootConfig) {
        super(runtime, metrics, address);
        this.cache = cache;
        this.apiAddress = apiAddress;
        this.bootConfig = bootConfig;
    }

    public static EdgeServer start(Config c) throws IOException {
        List<FillSource> sources = new ArrayList<>();
        sources.add(new FillSource(c.originUrl(), false));
        for (String peer : c.peerUrls()) {
            sources.add(new FillSource(peer, true));
        }
        ServerMetrics metrics = new ServerMetrics("edge");
        EdgeCache cache = EdgeCache.open(c.cacheDir(), c.quotaBytes(), sources, c.fill(), metrics, c.clock());
        ServerRuntime runtime = new ServerRuntime(c.ioThreads());
        try {
            runtime.closeOnShutdown(cache);
            Prefetcher prefetcher = new Prefetcher(cache, Duration.ofHours(1), Prefetcher.DEFAULT_CAPACITY, metrics);
            runtime.closeOnShutdown(prefetcher);

            Supplier<LoadedBootConfig> bootConfig;
            Supplier<String> notReady;
            if (c.bootConfig() != null) {
                BootConfigWatcher watcher = new BootConfigWatcher(c.bootConfig(), c.bootConfigPoll(), metrics, config -> {
                    // What the profiles name is what nodes will fetch next: keep it, and fetch it now.
                    cache.protect(config.referencedDigests());
                    if (prefetcher.prefetch(config.referencedDigests()).full()) {
                        log.warn("prefetch queue full; the blobs the boot configuration names are fetched when nodes ask");
                    }
                });
                runtime.closeOnShutdown(watcher);
                bootConfig = watcher::current;
                notReady = () -> runtime.draining() ? "shutting down"
                        : watcher.loaded() ? null : "boot configuration " + c.bootConfig() + " not written yet";
            } else {
                LoadedBootConfig none = LoadedBootConfig.empty(c.cacheDir());
                bootConfig = () -> none;
                notReady = () -> runtime.draining() ? "shutting down" : null;
            }

            ContentRoutes routes = ContentRoutes.edge(
                    new BlobHandler(cache),
                    new StoreAdminHandler(cache),
                    new HealthHandler(metrics, notReady),
                    new PrefetchHandler(prefetcher, c.prefetchToken()),
                    new BootScriptHandler(bootConfig));
            InetSocketAddress bound = listen(runtime, c.bind(), c.tls(), c.http(), routes, metrics);
            InetSocketAddress apiBound = null;
            if (c.apiBind() != null) {
                apiBound = runtime.listen(c.apiBind(), new NodeApiPassThrough(c.nodeApi(), runtime.transport(),
                        c.fill().connectTimeout(), c.apiIdleTimeout(), metrics, runtime.connections(),
                        c.nodeApiProxyProtocol()), NodeApiPassThrough.LOW_DELAY);
                log.info("relaying node API connections from {} to {}{}", apiBound, c.nodeApi(),
                        c.nodeApiProxyProtocol() ? ", each preceded by a PROXY protocol v2 header naming the node" : "");
            }
            log.info("edge serving on {} ({}, {}), cache {} with a quota of {} bytes, sources {}", bound,
                    scheme(c.tls()), runtime.transport().describe(), c.cacheDir(), c.quotaBytes(), sources);
            return new EdgeServer(runtime, metrics, cache, bound, apiBound, bootConfig);
        } catch (IOException | RuntimeException e) {
            runtime.close();
            cache.close();
            throw e;
        }
    }

    public int apiPort() {
        return apiAddress == null ? -1 : apiAddress.getPort();
    }

    public EdgeCache cache() {
        return cache;
    }

    /**
     * The boot configuration this edge serves boot scripts from now: the file's contents as last loaded (the edge
     * polls it), or an empty one while there is none.
     */
    public LoadedBootConfig bootConfig() {
        return bootConfig.get();
    }
}

package dev.tether.e2e.storm;

import dev.tether.content.edge.EdgeServer;
import dev.tether.content.edge.FillSettings;
import dev.tether.content.http.HttpSettings;
import dev.tether.content.origin.OriginServer;
import dev.tether.content.store.BearerToken;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * One server of the storm in a JVM of its own, so that its CPU and memory are its own: {@code origin}, {@code edge}
 * (one edge, as on its own machine) or {@code cluster} (the in-memory Kubernetes API with the operator and its node
 * API, see {@link StormCluster}). Prints {@code READY <json>} once it serves, and ends when its standard input closes
 * (the benchmark stopped or died).
 */
public final class StormServer {
    private StormServer() {}

    public static void main(String[] args) throws Exception {
        AutoCloseable server = switch (args[0]) {
            case "origin" -> origin(Arrays.copyOfRange(args, 1, args.length));
            case "edge" -> edge(Arrays.copyOfRange(args, 1, args.length));
            case "cluster" -> StormCluster.start(StormCluster.Config.read(Path.of(args[1])));
            default -> throw new IllegalArgumentException("roles are origin, edge and cluster, not " + args[0]);
        };
        while (System.in.read() >= 0) {
            // Wait for the benchmark to close our standard input.
        }
        server.close();
        System.exit(0);
    }

    /** {@code origin <store dir> <token> <address> <port>} */
    private static AutoCloseable origin(String[] a) throws IOException {
        OriginServer origin = OriginServer.start(new OriginServer.Config(Path.of(a[0]), BearerToken.of(a[1]),
                new InetSocketAddress(a[2], Integer.parseInt(a[3])), null, HttpSettings.defaults(), 2));
        System.out.println("READY {\"port\":" + origin.port() + "}");
        return origin;
    }

    /**
     * {@code edge <dir> <address> <port> <api port> <origin url> <node api port> [peer url…]}: an edge as the profile's
     * DaemonSet runs it, its cache empty, its boot files in {@code <dir>/boot} (written by the cluster's kubelet part).
     */
    private static AutoCloseable edge(String[] a) throws IOException {
        Path dir = Path.of(a[0]);
        List<String> peers = List.of(Arrays.copyOfRange(a, 6, a.length));
        EdgeServer edge = EdgeServer.start(new EdgeServer.Config(dir.resolve("cache"), 8L << 30, a[4], peers,
                new InetSocketAddress(a[1], Integer.parseInt(a[2])), new InetSocketAddress(a[1], Integer.parseInt(a[3])),
                new InetSocketAddress("127.0.0.1", Integer.parseInt(a[5])), dir.resolve("boot").resolve(StormCluster.BOOT_JSON),
                Duration.ofSeconds(1), null, HttpSettings.defaults(), FillSettings.defaults(), Duration.ofMinutes(10), 2));
        System.out.println("READY {\"port\":" + edge.port() + "}");
        return edge;
    }
}

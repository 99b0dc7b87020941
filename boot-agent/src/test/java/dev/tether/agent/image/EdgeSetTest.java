package dev.tether.agent.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EdgeSetTest {
    private static final URI A = URI.create("http://a:8080");
    private static final URI B = URI.create("http://b:8080/");
    private static final URI C = URI.create("http://c:8080");

    private long now = 1_000_000_000L;
    private final EdgeSet edges = new EdgeSet(List.of(A, B, C),
            new Backoff(Duration.ofMillis(250), Duration.ofSeconds(2)), () -> now);

    private void advance(long millis) {
        now += TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Test
    void idleEdgesAreTakenInTurnByKey() {
        for (long key = 0; key < 4; key++) {
            Edge edge = edges.claim(key, Set.of());
            assertThat(edge.base()).isEqualTo(List.of(A, URI.create("http://b:8080"), C).get((int) (key % 3)));
            edge.finished();
        }
    }

    /**
     * The runs of one read, claimed at once from several threads with keys three apart (runs of three chunks), each
     * get an edge of their own: an edge counts a request from the moment it is claimed for it, not from when it is
     * sent. Choosing first and counting later sent all three to the first edge.
     */
    @Test
    void requestsClaimedAtOnceGoToDifferentEdgesWhateverTheirKeys() throws Exception {
        List<Future<Edge>> claims = new ArrayList<>();
        CyclicBarrier together = new CyclicBarrier(3);
        try (var threads = Executors.newFixedThreadPool(3)) {
            for (long key : new long[] {0, 3, 6}) {
                claims.add(threads.submit(() -> {
                    together.await();
                    return edges.claim(key, Set.of());
                }));
            }
        }
        List<URI> claimed = new ArrayList<>();
        for (var claim : claims) {
            claimed.add(claim.get().base());
        }
        assertThat(claimed).containsExactlyInAnyOrder(A, URI.create("http://b:8080"), C);
        assertThat(edges.edges()).allSatisfy(edge -> assertThat(edge.inFlight()).isEqualTo(1));
    }

    @Test
    void theLeastBusyEdgeWins() {
        Edge a = edges.edges().get(0);
        Edge b = edges.edges().get(1);
        a.started();
        a.started();
        b.started();
        assertThat(edges.claim(0, Set.of()).base()).isEqualTo(C);
        assertThat(edges.claim(0, Set.of(edges.edges().get(2))).base()).isEqualTo(b.base());
    }

    @Test
    void aFailingEdgeIsSetAsideWithDoublingBackoffUntilItSucceeds() {
        Edge a = edges.edges().get(0);
        edges.failed(a, "connection refused");
        assertThat(edges.isSetAside(a)).isTrue();
        assertThat(edges.claim(0, Set.of())).isNotEqualTo(a);
        advance(249);
        assertThat(edges.isSetAside(a)).isTrue();
        advance(1);
        assertThat(edges.isSetAside(a)).isFalse();

        edges.failed(a, "connection refused");
        advance(499);
        assertThat(edges.isSetAside(a)).isTrue();
        advance(1);
        assertThat(edges.isSetAside(a)).isFalse();

        for (int i = 0; i < 10; i++) {
            edges.failed(a, "connection refused");
        }
        advance(1999);
        assertThat(edges.isSetAside(a)).as("backoff is capped at 2 s").isTrue();
        advance(1);
        assertThat(edges.isSetAside(a)).isFalse();

        edges.succeeded(a);
        edges.failed(a, "timed out");
        advance(250);
        assertThat(edges.isSetAside(a)).as("a success resets the backoff").isFalse();
    }

    @Test
    void whenAllAreSetAsideNoneIsPickedAndTheSoonestReturnIsKnown() {
        edges.failed(edges.edges().get(0), "refused");
        edges.failed(edges.edges().get(1), "refused");
        edges.failed(edges.edges().get(1), "refused");
        advance(100);
        edges.failed(edges.edges().get(2), "refused");
        assertThat(edges.claim(0, Set.of())).isNull();
        assertThat(edges.nanosUntilNextAvailable()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(150));
        assertThat(edges.describe()).isEqualTo("http://a:8080 (refused), http://b:8080 (refused), http://c:8080 (refused)");
    }

    @Test
    void aRefreshKeepsTheHealthOfEdgesThatStayAndDropsTheOthers() {
        Edge b = edges.edges().get(1);
        edges.failed(b, "refused");
        edges.replace(List.of(URI.create("http://d:8080"), B));
        assertThat(edges.edges()).extracting(Edge::base)
                .containsExactly(URI.create("http://d:8080"), URI.create("http://b:8080"));
        assertThat(edges.edges().get(1)).isSameAs(b);
        assertThat(edges.isSetAside(b)).isTrue();
        assertThat(edges.claim(1, Set.of()).base()).isEqualTo(URI.create("http://d:8080"));
    }

    @Test
    void backoffDoublesFromTheInitialDelayToTheCap() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1));
        assertThat(backoff.delayNanos(0)).isZero();
        assertThat(backoff.delayNanos(1)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
        assertThat(backoff.delayNanos(4)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(800));
        assertThat(backoff.delayNanos(5)).isEqualTo(TimeUnit.SECONDS.toNanos(1));
        assertThat(backoff.delayNanos(1000)).isEqualTo(TimeUnit.SECONDS.toNanos(1));
    }
}

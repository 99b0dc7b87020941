package dev.tether.agent.trust;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One HTTP exchange whose whole answer, body included, must come within a deadline. The JDK client's request timeout
 * ends at the head, so a server that trickles its body would otherwise hold the caller for as long as it liked; at the
 * deadline, or when the caller is interrupted, the exchange is cancelled and the client closes its connection.
 */
public final class BoundedExchange {
    private BoundedExchange() {
    }

    /** The whole answer did not come within the deadline; the exchange was cancelled. */
    public static final class Late extends IOException {
        private static final long serialVersionUID = 1L;

        Late(Duration deadline) {
            super("no answer within " + deadline.toSeconds() + "s");
        }
    }

    /**
     * @throws Late when the whole answer did not come within {@code deadline}
     * @throws IOException the exchange's own failure (one that is no IOException wrapped in one)
     */
    public static <T> HttpResponse<T> send(HttpClient http, HttpRequest request, BodyHandler<T> body, Duration deadline)
            throws IOException, InterruptedException {
        CompletableFuture<HttpResponse<T>> exchange = http.sendAsync(request, body);
        try {
            return exchange.get(deadline.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            exchange.cancel(true);
            throw new Late(deadline);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            exchange.cancel(true);
            throw e;
        }
    }
}

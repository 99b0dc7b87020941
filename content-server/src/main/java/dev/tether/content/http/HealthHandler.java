package dev.tether.content.http;

import dev.tether.content.metrics.ServerMetrics;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/** Liveness, readiness and the Prometheus scrape. */
public final class HealthHandler {
    private final ServerMetrics metrics;
    private final Supplier<String> notReadyReason;

    /** @param notReadyReason null when ready, else why not (draining, no boot configuration yet) */
    public HealthHandler(ServerMetrics metrics, Supplier<String> notReadyReason) {
        this.metrics = metrics;
        this.notReadyReason = notReadyReason;
    }

    public void healthz(Exchange x) {
        x.respond(HttpResponseStatus.OK, "ok");
    }

    public void readyz(Exchange x) {
        String reason = notReadyReason.get();
        if (reason == null) {
            x.respond(HttpResponseStatus.OK, "ready");
        } else {
            x.respond(HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready: " + reason);
        }
    }

    public void metrics(Exchange x) {
        x.respond(HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8",
                metrics.scrape().getBytes(StandardCharsets.UTF_8));
    }
}

package dev.tether.content.http;

/** Decides which handler answers a request; one per role. */
@FunctionalInterface
public interface Routes {
    void route(Exchange exchange);
}

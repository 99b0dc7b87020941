package dev.tether.content.http;

import dev.tether.content.boot.BootScriptHandler;
import dev.tether.content.edge.PrefetchHandler;
import dev.tether.contracts.BlobDigest;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * The URL layout of docs/contracts.md. Paths are matched as sent (not percent-decoded) and every
 * variable part is validated strictly by its handler, so no request can name a file outside the
 * store. Parts a role does not have are null and their URLs answer 404 or 405.
 */
public final class ContentRoutes implements Routes {
    private static final String BLOB_PREFIX = BlobDigest.PATH_PREFIX;
    private static final String CLAIM_PREFIX = "/claims/sha256/";

    private final BlobHandler blobs;
    private final StoreAdminHandler admin;
    private final HealthHandler health;
    private final UploadHandler uploads;
    private final ClaimHandler claims;
    private final PrefetchHandler prefetch;
    private final BootScriptHandler boot;

    private ContentRoutes(BlobHandler blobs, StoreAdminHandler admin, HealthHandler health, UploadHandler uploads,
                          ClaimHandler claims, PrefetchHandler prefetch, BootScriptHandler boot) {
        this.claims = claims;
        this.blobs = blobs;
        this.admin = admin;
        this.health = health;
        this.uploads = uploads;
        this.prefetch = prefetch;
        this.boot = boot;
    }

    public static ContentRoutes origin(BlobHandler blobs, StoreAdminHandler admin, HealthHandler health, UploadHandler uploads,
                                       ClaimHandler claims) {
        return new ContentRoutes(blobs, admin, health, uploads, claims, null, null);
    }

    public static ContentRoutes edge(BlobHandler blobs, StoreAdminHandler admin, HealthHandler health,
                                     PrefetchHandler prefetch, BootScriptHandler boot) {
        return new ContentRoutes(blobs, admin, health, null, null, prefetch, boot);
    }

    @Override
    public void route(Exchange x) {
        String path = x.rawPath();
        HttpMethod m = x.method();
        boolean read = HttpMethod.GET.equals(m) || HttpMethod.HEAD.equals(m);
        if (path.startsWith(BLOB_PREFIX)) {
            String hex = path.substring(BLOB_PREFIX.length());
            if (read) {
                blobs.serve(x, hex);
            } else if (HttpMethod.PUT.equals(m) && uploads != null) {
                uploads.upload(x, hex);
            } else if (HttpMethod.DELETE.equals(m) && uploads != null) {
                admin.delete(x, hex);
            } else {
                notAllowed(x, uploads != null ? "GET, HEAD, PUT, DELETE" : "GET, HEAD");
            }
            return;
        }
        if (claims != null && path.startsWith(CLAIM_PREFIX)) {
            if (HttpMethod.POST.equals(m)) {
                claims.claim(x, path.substring(CLAIM_PREFIX.length()));
            } else {
                notAllowed(x, "POST");
            }
            return;
        }
        switch (path) {
            case "/blobs" -> ifRead(x, read, () -> admin.list(x));
            case "/healthz" -> ifRead(x, read, () -> health.healthz(x));
            case "/readyz" -> ifRead(x, read, () -> health.readyz(x));
            case "/metrics" -> ifRead(x, read, () -> health.metrics(x));
            case "/prefetch" -> {
                if (prefetch == null) {
                    notFound(x);
                } else if (HttpMethod.POST.equals(m)) {
                    prefetch.prefetch(x);
                } else {
                    notAllowed(x, "POST");
                }
            }
            default -> {
                if (boot != null && path.startsWith("/boot/")) {
                    ifRead(x, read, () -> boot.serve(x, path));
                } else {
                    notFound(x);
                }
            }
        }
    }

    private static void ifRead(Exchange x, boolean read, Runnable answer) {
        if (read) {
            answer.run();
        } else {
            notAllowed(x, "GET, HEAD");
        }
    }

    private static void notFound(Exchange x) {
        x.respond(HttpResponseStatus.NOT_FOUND, "nothing at " + printable(x.rawPath()) + "; see docs/contracts.md for the URLs served");
    }

    private static void notAllowed(Exchange x, String allow) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.METHOD_NOT_ALLOWED,
                Unpooled.copiedBuffer(x.method() + " is not allowed here; allowed: " + allow + "\n", StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.ALLOW, allow);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        x.respond(r);
    }

    /** Echoes at most a short, printable form of client input. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 80; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x21 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }
}

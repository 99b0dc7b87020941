package dev.tether.content.http;

import dev.tether.content.store.BearerToken;
import dev.tether.content.store.BlobClaims;
import dev.tether.content.store.BlobStore;
import dev.tether.content.store.Upload;
import dev.tether.contracts.BlobDigest;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code PUT /blobs/sha256/<hex>} on the origin. The body streams to a temporary file (no
 * aggregation: images are gigabytes) while SHA-256 runs over it; the blob becomes visible only
 * after the digest matched. Everything that can be refused is refused before a byte is read.
 *
 * <p>An upload by a build's grant claims the blob for that build ({@link BlobClaims}) before the blob becomes visible,
 * and so does a build's upload of a blob that is already stored, so the operator's garbage collection cannot delete it
 * before the build's version is published.
 */
public final class UploadHandler {
    private static final Logger log = LoggerFactory.getLogger(UploadHandler.class);

    private final BlobStore store;
    private final BlobClaims claims;
    private final BearerToken token;
    private final long maxBytes;
    private final Executor disk;

    /** @param disk runs the fsync and rename that end an upload, off the event loop */
    public UploadHandler(BlobStore store, BlobClaims claims, BearerToken token, long maxBytes, Executor disk) {
        this.store = store;
        this.claims = claims;
        this.token = token;
        this.maxBytes = maxBytes;
        this.disk = disk;
    }

    public void upload(Exchange x, String hex) {
        BlobDigest digest = BlobDigest.ofHexOrNull(hex);
        boolean expectsContinue = HttpUtil.is100ContinueExpected(x.request());
        BearerToken.Access access = token.forUpload(x.header(HttpHeaderNames.AUTHORIZATION));
        if (access instanceof BearerToken.Refused refused) {
            refuse(x, unauthorized(refused));
            return;
        }
        String uploader = access instanceof BearerToken.Build build ? "build " + build.build() : "the operator";
        if (digest == null) {
            refuse(x, HttpResponseStatus.BAD_REQUEST, "not a blob address: expected /blobs/sha256/<64 lowercase hex characters>");
            return;
        }
        long length = HttpUtil.getContentLength(x.request(), -1L);
        if (length < 0 || HttpUtil.isTransferEncodingChunked(x.request())) {
            refuse(x, HttpResponseStatus.LENGTH_REQUIRED, "an upload needs a Content-Length (chunked bodies are not accepted)");
            return;
        }
        if (length > maxBytes) {
            refuse(x, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "the upload of " + length + " bytes exceeds this origin's limit of " + maxBytes + " bytes");
            return;
        }
        if (store.contains(digest)) {
            // Content-addressed: the bytes would be identical. Drop the body and keep the connection,
            // unless the client is waiting for 100-continue and so will not send one.
            if (expectsContinue) {
                x.closeAfterResponse();
            }
            if (access instanceof BearerToken.Build build) {
                claimStored(x, digest, build);
            } else {
                x.respond(HttpResponseStatus.OK, digest + " is already stored");
            }
            return;
        }
        Upload upload;
        try {
            upload = store.beginUpload(digest, length);
        } catch (IOException e) {
            log.warn("cannot start upload of {}: {}", digest, e.toString());
            refuse(x, HttpResponseStatus.INSUFFICIENT_STORAGE, "cannot create a file in the store; the server log has the details");
            return;
        }
        if (expectsContinue) {
            x.ctx().writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        }
        x.receiveBody(new UploadSink(digest, upload, uploader, access instanceof BearerToken.Build build ? build : null));
    }

    /** A build uploads a blob that is stored: it is claimed like one found by {@code POST /claims/...}. */
    private void claimStored(Exchange x, BlobDigest digest, BearerToken.Build build) {
        disk.execute(() -> {
            HttpResponseStatus status;
            String message;
            try {
                if (claims.claimIfStored(store, digest, build.build(), build.expires()) == BlobClaims.ClaimResult.CLAIMED) {
                    status = HttpResponseStatus.OK;
                    message = digest + " is already stored (claimed for build " + build.build() + ")";
                } else {
                    // Deleted between the check and the claim: the bytes were not kept, so the build sends them again.
                    status = HttpResponseStatus.SERVICE_UNAVAILABLE;
                    message = digest + " was removed while it was being uploaded; upload it again";
                }
            } catch (IOException e) {
                status = e instanceof BlobClaims.ClaimsFull ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.INSUFFICIENT_STORAGE;
                message = e instanceof BlobClaims.ClaimsFull ? e.getMessage() : "the store could not record the claim; the server log has the details";
                log.warn("cannot claim {} for build {}: {}", digest, build.build(), e.toString());
            }
            HttpResponseStatus s = status;
            String m = message;
            x.ctx().executor().execute(() -> {
                if (s != HttpResponseStatus.OK) {
                    x.closeAfterResponse();
                }
                if (x.ctx().channel().isActive()) {
                    x.respond(s, m);
                }
            });
        });
    }

    private static FullHttpResponse unauthorized(BearerToken.Refused refused) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(refused.status()),
                Unpooled.copiedBuffer(refused.message() + "\n", StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        return r;
    }

    /** Refusals close the connection: the client may already be sending a body we will not read. */
    private static void refuse(Exchange x, HttpResponseStatus status, String message) {
        x.closeAfterResponse();
        x.respond(status, message);
    }

    private static void refuse(Exchange x, FullHttpResponse response) {
        x.closeAfterResponse();
        x.respond(response);
    }

    private final class UploadSink implements BodySink {
        private final BlobDigest digest;
        private final Upload upload;
        private final String uploader;
        private final BearerToken.Build build;
        private boolean failed;

        UploadSink(BlobDigest digest, Upload upload, String uploader, BearerToken.Build build) {
            this.digest = digest;
            this.upload = upload;
            this.uploader = uploader;
            this.build = build;
        }

        @Override
        public void content(Exchange x, HttpContent chunk) {
            if (failed) {
                return;
            }
            try {
                upload.write(chunk.content());
            } catch (Upload.UploadRejected e) {
                failed = true;
                upload.abort();
                refuse(x, HttpResponseStatus.BAD_REQUEST, e.getMessage());
            } catch (IOException e) {
                failed = true;
                upload.abort();
                log.warn("upload of {} failed writing: {}", digest, e.toString());
                refuse(x, HttpResponseStatus.INSUFFICIENT_STORAGE, "the store could not write the upload; nothing was stored");
            }
        }

        @Override
        public void end(Exchange x) {
            if (failed) {
                return;
            }
            disk.execute(() -> {
                HttpResponseStatus status;
                String message;
                try {
                    // Claimed once verified and before it is visible, so no collection can see it stored and unclaimed
                    // (and no claim is made for bytes that were not the blob).
                    upload.commit(build == null ? () -> { } : () -> claims.claim(digest, build.build(), build.expires()));
                    status = HttpResponseStatus.CREATED;
                    message = "stored " + digest;
                    log.info("stored {} ({} bytes) from {}", digest, upload.received(), uploader);
                } catch (Upload.UploadRejected e) {
                    status = HttpResponseStatus.BAD_REQUEST;
                    message = e.getMessage();
                    log.info("refused upload of {}: {}", digest, e.getMessage());
                } catch (BlobClaims.ClaimsFull e) {
                    status = HttpResponseStatus.SERVICE_UNAVAILABLE;
                    message = e.getMessage() + "; nothing was stored";
                    log.warn("refused upload of {} from {}: {}", digest, uploader, e.getMessage());
                } catch (IOException e) {
                    status = HttpResponseStatus.INSUFFICIENT_STORAGE;
                    message = "the store could not keep the upload; nothing was stored";
                    log.warn("upload of {} failed committing: {}", digest, e.toString());
                }
                HttpResponseStatus s = status;
                String m = message;
                x.ctx().executor().execute(() -> {
                    if (s != HttpResponseStatus.CREATED) {
                        x.closeAfterResponse();
                    }
                    if (x.ctx().channel().isActive()) {
                        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, s,
                                Unpooled.copiedBuffer(m + "\n", StandardCharsets.UTF_8));
                        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
                        if (s == HttpResponseStatus.CREATED) {
                            r.headers().set(HttpHeaderNames.LOCATION, digest.path());
                        }
                        x.respond(r);
                    }
                });
            });
        }

        @Override
        public void abort(Exchange x) {
            upload.abort();
            log.info("upload of {} interrupted after {} of {} bytes; nothing was stored", digest, upload.received(),
                    upload.declaredLength());
        }
    }
}

package dev.tether.content.http;

import dev.tether.content.store.BearerToken;
import dev.tether.content.store.BlobStore;
import dev.tether.content.store.Digest;
import dev.tether.content.store.Upload;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code PUT /blobs/sha256/<hex>} on the origin. The body streams to a temporary file (no
 * aggregation: images are gigabytes) while SHA-256 runs over it; the blob becomes visible only
 * after the digest matched. Everything that can be refused is refused before a byte is read.
 */
public final class UploadHandler {
    private static final Logger log = LoggerFactory.getLogger(UploadHandler.class);

    private final BlobStore store;
    private final BearerToken token;
    private final long maxBytes;
    private final Executor disk;

    /** @param disk runs the fsync and rename that end an upload, off the event loop */
    public UploadHandler(BlobStore store, BearerToken token, long maxBytes, Executor disk) {
        this.store = store;
        this.token = token;
        this.maxBytes = maxBytes;
        this.disk = disk;
    }

    public void upload(Exchange x, String hex) {
        Digest digest = Digest.ofHexOrNull(hex);
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
            x.respond(HttpResponseStatus.OK, digest + " is already stored");
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
        x.receiveBody(new UploadSink(digest, upload, uploader));
    }

    private static FullHttpResponse unauthorized(BearerToken.Refused refused) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(refused.status()),
                io.netty.buffer.Unpooled.copiedBuffer(refused.message() + "\n", java.nio.charset.StandardCharsets.UTF_8));
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
        private final Digest digest;
        private final Upload upload;
        private final String uploader;
        private boolean failed;

        UploadSink(Digest digest, Upload upload, String uploader) {
            this.digest = digest;
            this.upload = upload;
            this.uploader = uploader;
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
                    upload.commit();
                    status = HttpResponseStatus.CREATED;
                    message = "stored " + digest;
                    log.info("stored {} ({} bytes) from {}", digest, upload.received(), uploader);
                } catch (Upload.UploadRejected e) {
                    status = HttpResponseStatus.BAD_REQUEST;
                    message = e.getMessage();
                    log.info("refused upload of {}: {}", digest, e.getMessage());
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
                                io.netty.buffer.Unpooled.copiedBuffer(m + "\n", java.nio.charset.StandardCharsets.UTF_8));
                        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
                        if (s == HttpResponseStatus.CREATED) {
                            r.headers().set(HttpHeaderNames.LOCATION, "/blobs/sha256/" + digest.hex());
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

package dev.tether.content.store;

import dev.tether.contracts.BlobDigest;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Where GET and HEAD find a blob: the origin's store, or an edge's cache that may fill on a miss. */
public interface BlobSource {

    /**
     * Opens a blob for serving. Completes with null when the blob is not held (and, on an edge, no
     * source has it). When {@code onlyIfCached} is set an edge answers from its disk alone: peers
     * ask each other this way so that a miss never cascades into fills across the collective.
     * The caller must {@link ServableBlob#release() release} what it gets.
     */
    CompletableFuture<ServableBlob> open(BlobDigest digest, boolean onlyIfCached);

    /** The complete blobs held, for {@code GET /blobs}. */
    List<StoredBlobInfo> list();

    record StoredBlobInfo(BlobDigest digest, long size) {
    }
}

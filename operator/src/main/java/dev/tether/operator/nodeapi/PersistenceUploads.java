package dev.tether.operator.nodeapi;

import dev.tether.nodeapi.PersistenceSaved;
import dev.tether.operator.persistence.PersistenceSecret;
import dev.tether.operator.persistence.PersistenceSettings;
import dev.tether.operator.persistence.PersistenceStore;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code PUT persistence?generation=N}: a node's new archive, received as it streams in. Everything that can be decided
 * from the request head is decided before one byte of the body is stored: who asks, whether the profile keeps paths,
 * the generation (the stored one plus one, so two savers or a replayed upload cannot overwrite a newer archive), the
 * declared length against the node's limit, room on the volume, one upload per node and a bound on uploads at once.
 * A body without a declared length is cut off at the first byte past the limit.
 */
final class PersistenceUploads {
    /** Room left free on the volume beyond an upload, so the archives' directory entries can still be written. */
    private static final long VOLUME_RESERVE = 16L << 20;

    private final ProfileReader profiles;
    private final PersistenceSecret secrets;
    private final PersistenceStore store;
    private final PersistenceSettings settings;
    private final Duration requestTimeout;
    private final Semaphore slots;
    private final Set<String> receiving = ConcurrentHashMap.newKeySet();
    private final MeterRegistry metrics;

    /**
     * @param metrics where stored archives are counted ({@code tether_persistence_archives_stored_total}) and measured
     *                ({@code tether_persistence_archive_bytes}); refusals are counted with every other node API refusal
     */
    PersistenceUploads(ProfileReader profiles, PersistenceSecret secrets, PersistenceStore store, PersistenceSettings settings,
                       Duration requestTimeout, MeterRegistry metrics) {
        this.metrics = metrics;
        this.profiles = profiles;
        this.secrets = secrets;
        this.store = store;
        this.settings = settings;
        this.requestTimeout = requestTimeout;
        this.slots = new Semaphore(settings.maxUploads());
    }

    /** @param declaredLength the request's Content-Length, or -1 when the body is chunked */
    Receiving begin(Endpoint.NodeContext context, long declaredLength) throws Refusal {
        PersistenceLimits limits = PersistenceLimits.of(profiles.profile(context.credential()), settings);
        long generation = generationAsked(context);
        long stored = secrets.generation(context.credential()).orElseThrow(() -> new Refusal(409, "NoPersistenceKey",
                "this node has no persistence key yet; its boot asks persistence-key first"));
        if (generation != stored + 1) {
            throw new Refusal(409, "StaleGeneration", "the stored archive is generation " + stored + ", so the next is "
                    + (stored + 1) + ", not " + generation + "; another save got there first, or this one is a replay");
        }
        if (declaredLength > limits.maxBytes()) {
            throw tooLarge(declaredLength, limits.maxBytes());
        }
        long needed = (declaredLength >= 0 ? declaredLength : limits.maxBytes()) + VOLUME_RESERVE;
        try {
            if (store.usableBytes() < needed) {
                throw new Refusal(507, "StoreFull", "the operator's persistence volume has less than " + needed + " bytes"
                        + " free; an administrator must enlarge it (nodeApi.persistence.size)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String node = context.namespace() + "/" + context.credential().getMetadata().getUid();
        if (!receiving.add(node)) {
            throw new Refusal(409, "UploadInProgress", "an archive of this node is being received already; try again when"
                    + " it is stored");
        }
        if (!slots.tryAcquire()) {
            receiving.remove(node);
            throw new Refusal(503, "Busy", "the operator is receiving " + settings.maxUploads() + " archives already; try again"
                    + " shortly").withRetryAfter(5);
        }
        try {
            PersistenceStore.Upload upload = store.begin(context.namespace(), context.credential().getMetadata().getUid(), generation);
            Duration deadline = requestTimeout.plusSeconds(Math.max(1, limits.maxBytes() / settings.minBytesPerSecond()));
            return new Receiving(context, node, generation, limits.maxBytes(), declaredLength, upload, deadline);
        } catch (IOException | RuntimeException e) {
            receiving.remove(node);
            slots.release();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /** Stores what arrived as the node's archive, once it arrived whole. */
    Reply commit(Receiving upload) throws Refusal {
        try {
            if (upload.declaredLength >= 0 && upload.file.bytes() != upload.declaredLength) {
                throw Refusal.badRequest("BadRequest", "the body had " + upload.file.bytes() + " bytes where Content-Length"
                        + " said " + upload.declaredLength);
            }
            long bytes = upload.file.bytes();
            upload.file.commit();
            if (!secrets.advance(upload.context.credential(), upload.generation)) {
                throw new Refusal(409, "StaleGeneration", "the stored archive changed while this one was received; its"
                        + " generation " + upload.generation + " is not the next any more");
            }
            store.prune(upload.context.namespace(), upload.context.credential().getMetadata().getUid(), upload.generation);
            metrics.counter("tether.persistence.archives.stored").increment();
            DistributionSummary.builder("tether.persistence.archive").baseUnit("bytes")
                    .description("Size of the nodes' encrypted archives as stored").register(metrics).record(bytes);
            return Reply.json(200, new PersistenceSaved(upload.generation, bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            end(upload);
        }
    }

    /** Drops an upload that was refused or cut off; nothing of it stays. */
    void end(Receiving upload) {
        if (upload.ended.compareAndSet(false, true)) {
            upload.file.close();
            receiving.remove(upload.node);
            slots.release();
        }
    }

    static Refusal tooLarge(long bytes, long maxBytes) {
        return new Refusal(413, "ArchiveTooLarge", "the archive is " + (bytes > maxBytes ? bytes + " bytes" : "larger than "
                + maxBytes + " bytes") + ", more than this node's limit of " + maxBytes + " bytes; nothing of it was kept,"
                + " and the previous archive stays. Keep fewer or smaller paths, or raise spec.persistence.maxBytes");
    }

    private static long generationAsked(Endpoint.NodeContext context) throws Refusal {
        String text = context.call().queryParameter("generation");
        if (text == null || !text.matches("[1-9][0-9]{0,17}")) {
            throw Refusal.badRequest("BadGeneration", "give the new archive's generation as ?generation=<the stored one plus one>");
        }
        return Long.parseLong(text);
    }

    /** One archive being received: written on the connection's event loop, committed on a handler thread. */
    static final class Receiving {
        final Endpoint.NodeContext context;
        final String node;
        final long generation;
        final long maxBytes;
        final long declaredLength;
        final Duration deadline;
        private final PersistenceStore.Upload file;
        private final AtomicBoolean ended = new AtomicBoolean();

        private Receiving(Endpoint.NodeContext context, String node, long generation, long maxBytes, long declaredLength,
                          PersistenceStore.Upload file, Duration deadline) {
            this.context = context;
            this.node = node;
            this.generation = generation;
            this.maxBytes = maxBytes;
            this.declaredLength = declaredLength;
            this.file = file;
            this.deadline = deadline;
        }

        /** @return false when this would take the archive past the node's limit (nothing more is written) */
        boolean write(ByteBuffer buffer) throws IOException {
            if (file.bytes() + buffer.remaining() > maxBytes) {
                return false;
            }
            file.write(buffer);
            return true;
        }

        long bytes() {
            return file.bytes();
        }
    }
}

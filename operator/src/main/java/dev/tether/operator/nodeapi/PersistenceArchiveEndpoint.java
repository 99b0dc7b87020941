package dev.tether.operator.nodeapi;

import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.persistence.PersistenceSecret;
import dev.tether.operator.persistence.PersistenceStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET persistence}: the node's own archive of the generation its Secret records, streamed from the operator's
 * volume. A node gets only its own: the path names it, and the API key or this boot's token must be its. (The upload is
 * {@link PersistenceUploadGate}: its body is streamed, not aggregated.)
 */
final class PersistenceArchiveEndpoint implements Endpoint {
    private static final Logger LOG = LoggerFactory.getLogger(PersistenceArchiveEndpoint.class);

    private final PersistenceSecret secrets;
    private final PersistenceStore store;

    PersistenceArchiveEndpoint(PersistenceSecret secrets, PersistenceStore store) {
        this.secrets = secrets;
        this.store = store;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public boolean takesPersistenceToken() {
        return true;
    }

    @Override
    public Reply handle(NodeContext context) throws Refusal {
        long generation = secrets.generation(context.credential()).orElse(0L);
        if (generation == 0) {
            throw new Refusal(404, "NoArchive", "node " + context.namespace() + "/" + context.path().node()
                    + " has saved no archive yet");
        }
        String uid = context.credential().getMetadata().getUid();
        Optional<FileChannel> file;
        long length;
        try {
            file = store.open(context.namespace(), uid, generation);
            length = file.isPresent() ? file.get().size() : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (file.isEmpty()) {
            LOG.error("the archive of generation {} of node {}/{} is missing from the persistence volume", generation,
                    context.namespace(), context.credentialName());
            throw new Refusal(409, "ArchiveLost", "the operator has lost archive generation " + generation + " of this node"
                    + " (its persistence volume was replaced or damaged); the node boots with its image's files and its next"
                    + " save starts again");
        }
        return Reply.file(file.get(), length).withHeader(NodeApi.PERSISTENCE_GENERATION, Long.toString(generation));
    }
}

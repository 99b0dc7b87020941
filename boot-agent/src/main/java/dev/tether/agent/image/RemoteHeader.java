package dev.tether.agent.image;

import dev.tether.image.format.ImageFormatException;
import dev.tether.image.format.ImageHeader;
import java.io.IOException;

/**
 * Fetches the container's header from the edges. A header that fails its checksum, or disagrees with the
 * size the edge serves, counts as that edge's failure, like a damaged chunk.
 */
public final class RemoteHeader {
    private RemoteHeader() {
    }

    public static ImageHeader fetch(ChunkFetcher fetcher) throws IOException {
        return fetcher.fetch(0, ImageHeader.SIZE, 0, "the header", body -> {
            ImageHeader header = ImageHeader.decode(body.bytes());
            if (body.blobSize() >= 0 && body.blobSize() != header.containerSize()) {
                throw new ImageFormatException("the edge serves " + body.blobSize() + " bytes but the header describes "
                        + header.containerSize());
            }
            return header;
        });
    }
}

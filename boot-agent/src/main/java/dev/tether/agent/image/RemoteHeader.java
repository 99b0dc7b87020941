package dev.tether.agent.image;

import dev.tether.image.format.ImageFormatException;
import dev.tether.image.format.ImageHeader;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.RootImagePin;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Fetches the container's header from the edges and holds it to what the manifest pins, before any chunk is
 * read: the chunks are verified against this header, so a header of the edge's own choosing (an unencrypted
 * one in place of the encrypted image) would have the edge's own chunks verify. One that is well formed but not
 * the pinned one is a {@link ForeignImageException}: the edge is not asked again, another is, and when none
 * serves the pinned header the read stops. A header that fails its checksum, or is the pinned one but disagrees
 * with the size the edge serves, counts as that edge's failure, like a damaged chunk.
 */
public final class RemoteHeader {
    private RemoteHeader() {
    }

    /**
     * @param pin what the manifest pins, or null when the image was named without a manifest
     *     ({@code tether.rootimage=}, only without a node API)
     * @param key the image key, or null; a key means an encrypted image is expected, so without a manifest it
     *     still refuses an unencrypted header
     */
    public static ImageHeader fetch(ChunkFetcher fetcher, RootImagePin pin, ImageKey key) throws IOException {
        return fetcher.fetch(0, ImageHeader.SIZE, 0, "the header", body -> {
            ImageHeader header = ImageHeader.decode(body.bytes());
            // A well-formed header that is not the pinned one is another image's, whatever size the edge serves
            // it at: asked first, so a foreign header written over the start of a genuine copy stops the read
            // instead of being waited out as damage.
            List<String> differences = new ArrayList<>();
            if (pin != null) {
                differences.addAll(pin.differences(header));
            } else if (key != null && !header.cipher().encrypted()) {
                differences.add("cipher " + header.cipher().displayName() + " though the image key says it is encrypted");
            }
            if (!differences.isEmpty()) {
                throw new ForeignImageException(String.join(", ", differences));
            }
            if (body.blobSize() >= 0 && body.blobSize() != header.containerSize()) {
                throw new ImageFormatException("the edge serves " + body.blobSize() + " bytes but the header describes "
                        + header.containerSize());
            }
            return header;
        });
    }
}

package dev.tether.agent.image;

import java.nio.ByteBuffer;

/**
 * The bytes of one checked range answer and the blob size the edge gave with it (-1 if unknown).
 *
 * @param bytes exactly the bytes asked for, position 0
 */
public record RangeBody(ByteBuffer bytes, long blobSize) {
}

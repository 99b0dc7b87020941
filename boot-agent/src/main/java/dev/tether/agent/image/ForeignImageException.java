package dev.tether.agent.image;

import dev.tether.image.format.ImageFormatException;

/**
 * An edge answered with a well-formed container that is not the one asked for: another header than the
 * manifest pins (an unencrypted container, another key, another chunk size), or a download whose digest is
 * not the container's. Unlike a damaged copy this is no accident of a disk or a wire, so the edge is not asked
 * for that range again, and when every edge answers so the read stops instead of waiting.
 */
public final class ForeignImageException extends ImageFormatException {
    private static final long serialVersionUID = 1L;

    public ForeignImageException(String message) {
        super(message);
    }
}

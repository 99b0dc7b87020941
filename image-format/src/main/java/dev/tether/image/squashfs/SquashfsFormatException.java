package dev.tether.image.squashfs;

import dev.tether.image.format.ImageFormatException;

/** A squashfs whose metadata cannot be read: not a squashfs 4.0, an unsupported compressor, or damaged tables. */
public final class SquashfsFormatException extends ImageFormatException {
    private static final long serialVersionUID = 1L;

    public SquashfsFormatException(String message) {
        super(message);
    }

    public SquashfsFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}

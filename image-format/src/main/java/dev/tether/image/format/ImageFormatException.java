package dev.tether.image.format;

import java.io.IOException;

/** A root image container that cannot be read as one: bad magic, unsupported version, corrupt header, wrong size. */
public class ImageFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public ImageFormatException(String message) {
        super(message);
    }

    public ImageFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}

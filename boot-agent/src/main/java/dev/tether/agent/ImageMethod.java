package dev.tether.agent;

import java.util.Locale;

/** How the node reads its root image: on demand from the edges, or downloaded into RAM first. */
public enum ImageMethod {
    /** Chunks fetched on demand through a FUSE file; the node needs the edges for as long as it runs. */
    TETHERED,
    /** The whole image downloaded into RAM before mounting; the node no longer needs the edges. */
    UNTETHERED;

    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code tethered} or {@code untethered}; the message lists both. */
    public static ImageMethod parse(String text) {
        for (ImageMethod method : values()) {
            if (method.value().equals(text)) {
                return method;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not a method; use tethered or untethered");
    }
}

package dev.tether.image.format;

import java.util.Optional;

/**
 * How the chunks of a root image are protected. The code is what the header stores; the overhead is
 * what follows each chunk's body on disk (the GCM tag, or the SHA-256 of an unencrypted chunk).
 */
public enum ImageCipher {
    /** No confidentiality; each chunk carries a SHA-256 bound to the header and its index. */
    NONE_SHA256(0, 32, "NONE+SHA-256"),
    /** AES-256-GCM with a 128-bit tag; the header digest and chunk index are the associated data. */
    AES_256_GCM(1, 16, "AES-256-GCM");

    private final int code;
    private final int overhead;
    private final String displayName;

    ImageCipher(int code, int overhead, String displayName) {
        this.code = code;
        this.overhead = overhead;
        this.displayName = displayName;
    }

    public int code() {
        return code;
    }

    /** Bytes stored after each chunk's body. */
    public int overhead() {
        return overhead;
    }

    public boolean encrypted() {
        return this == AES_256_GCM;
    }

    /** The name used in manifests and on the command line output, e.g. {@code AES-256-GCM}. */
    public String displayName() {
        return displayName;
    }

    /** The cipher a manifest names by {@link #displayName()}, or empty for a name this reader does not know. */
    public static Optional<ImageCipher> fromDisplayName(String name) {
        for (ImageCipher cipher : values()) {
            if (cipher.displayName.equals(name)) {
                return Optional.of(cipher);
            }
        }
        return Optional.empty();
    }

    static ImageCipher fromCode(int code) throws ImageFormatException {
        for (ImageCipher cipher : values()) {
            if (cipher.code == code) {
                return cipher;
            }
        }
        throw new ImageFormatException("unknown cipher code " + code + " in root image header");
    }
}

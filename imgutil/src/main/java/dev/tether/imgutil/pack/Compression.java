package dev.tether.imgutil.pack;

import dev.tether.imgutil.UserError;

/** Squashfs compressors imgutil offers; the kernel of every supported distribution reads all three. */
public enum Compression {
    ZSTD("zstd"),
    XZ("xz"),
    LZ4("lz4");

    private final String name;

    Compression(String name) {
        this.name = name;
    }

    public String cliName() {
        return name;
    }

    public static Compression parse(String name) {
        for (Compression compression : values()) {
            if (compression.name.equals(name)) {
                return compression;
            }
        }
        throw new UserError("unknown compression '" + name + "' (use zstd, xz or lz4)");
    }

    @Override
    public String toString() {
        return name;
    }
}

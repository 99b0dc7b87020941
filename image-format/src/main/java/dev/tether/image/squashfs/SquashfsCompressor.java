package dev.tether.image.squashfs;

import io.airlift.compress.MalformedInputException;
import io.airlift.compress.lz4.Lz4Decompressor;
import io.airlift.compress.zstd.ZstdDecompressor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.tukaani.xz.XZInputStream;

/**
 * The compressors a squashfs names in its superblock, as far as reading metadata blocks needs them. imgutil packs
 * with zstd (its default), xz, lz4 or gzip; lzma and lzo (legacy) are recognised but not read.
 */
public enum SquashfsCompressor {
    GZIP(1, "gzip"),
    LZMA(2, "lzma"),
    LZO(3, "lzo"),
    XZ(4, "xz"),
    LZ4(5, "lz4"),
    ZSTD(6, "zstd");

    private final int id;
    private final String displayName;

    SquashfsCompressor(int id, String displayName) {
        this.id = id;
        this.displayName = displayName;
    }

    static SquashfsCompressor of(int id) throws SquashfsFormatException {
        for (SquashfsCompressor compressor : values()) {
            if (compressor.id == id) {
                return compressor;
            }
        }
        throw new SquashfsFormatException("the squashfs names compressor " + id + ", which is none squashfs knows");
    }

    public String displayName() {
        return displayName;
    }

    /**
     * Decompresses one block into {@code out}.
     *
     * @return the number of bytes written
     */
    int decompress(byte[] in, int length, byte[] out) throws SquashfsFormatException {
        try {
            return switch (this) {
                case GZIP -> inflate(in, length, out);
                case XZ -> readAll(new XZInputStream(new ByteArrayInputStream(in, 0, length)), out);
                case LZ4 -> new Lz4Decompressor().decompress(in, 0, length, out, 0, out.length);
                case ZSTD -> new ZstdDecompressor().decompress(in, 0, length, out, 0, out.length);
                case LZMA, LZO -> throw new SquashfsFormatException("this squashfs is compressed with " + displayName
                        + ", which Tether does not read; pack with zstd, xz, lz4 or gzip");
            };
        } catch (IOException | MalformedInputException e) {
            throw new SquashfsFormatException("a " + displayName + " metadata block does not decompress: " + e.getMessage(), e);
        }
    }

    private static int inflate(byte[] in, int length, byte[] out) throws SquashfsFormatException {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(in, 0, length);
            int written = 0;
            while (!inflater.finished() && written < out.length) {
                int n = inflater.inflate(out, written, out.length - written);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new SquashfsFormatException("a gzip metadata block ends early");
                }
                written += n;
            }
            if (!inflater.finished()) {
                throw new SquashfsFormatException("a gzip metadata block is larger than " + out.length + " bytes");
            }
            return written;
        } catch (DataFormatException e) {
            throw new SquashfsFormatException("a gzip metadata block does not decompress: " + e.getMessage(), e);
        } finally {
            inflater.end();
        }
    }

    private static int readAll(InputStream in, byte[] out) throws IOException {
        try (in) {
            int written = 0;
            for (int n; written < out.length && (n = in.read(out, written, out.length - written)) > 0; ) {
                written += n;
            }
            if (written == out.length && in.read() >= 0) {
                throw new SquashfsFormatException("an xz metadata block is larger than " + out.length + " bytes");
            }
            return written;
        }
    }
}

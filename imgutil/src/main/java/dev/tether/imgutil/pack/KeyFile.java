package dev.tether.imgutil.pack;

import dev.tether.image.format.ImageKey;
import dev.tether.imgutil.UserError;
import dev.tether.imgutil.util.AtomicOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The image key on disk: read when the file exists (32 raw bytes, or 64 hex digits as a Secret may hold
 * them), else 32 fresh random bytes written with mode 0600. Never inside the public output directory.
 */
public final class KeyFile {
    private KeyFile() {
    }

    public static ImageKey read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UserError("cannot read key file " + file + ": " + e.getMessage());
        }
        if (bytes.length == ImageKey.LENGTH) {
            return ImageKey.of(bytes);
        }
        String text = new String(bytes, StandardCharsets.US_ASCII).strip();
        if (text.length() == 2 * ImageKey.LENGTH && text.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            return ImageKey.of(HexFormat.of().parseHex(text));
        }
        throw new UserError("key file " + file + " holds " + bytes.length
                + " bytes; an image key is 32 raw bytes or 64 hex digits");
    }

    /** Reads the key, or makes and stores a new one when the file does not exist yet. */
    public static ImageKey readOrCreate(Path file, Path outDir) {
        refuseInside(file, outDir);
        if (Files.exists(file)) {
            return read(file);
        }
        ImageKey key = ImageKey.generate(new SecureRandom());
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            byte[] bytes = key.bytes();
            AtomicOutput.write(file, bytes, PosixFilePermissions.fromString("rw-------"));
            Arrays.fill(bytes, (byte) 0);
        } catch (IOException e) {
            throw new UserError("cannot write key file " + file + ": " + e.getMessage());
        }
        return key;
    }

    /** The output directory is public (it is published); a key there would be published with it. */
    static void refuseInside(Path keyFile, Path outDir) {
        Path key = keyFile.toAbsolutePath().normalize();
        Path out = outDir.toAbsolutePath().normalize();
        try {
            if (Files.exists(out)) {
                out = out.toRealPath();
            }
            Path parent = key.getParent();
            if (parent != null && Files.exists(parent)) {
                key = parent.toRealPath().resolve(key.getFileName());
            }
        } catch (IOException e) {
            throw new UserError("cannot resolve " + keyFile + ": " + e.getMessage());
        }
        if (key.startsWith(out)) {
            throw new UserError("the key file " + keyFile + " must not be inside the output directory " + outDir
                    + " (everything there is published)");
        }
    }
}

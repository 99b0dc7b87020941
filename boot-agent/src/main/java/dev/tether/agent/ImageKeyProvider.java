package dev.tether.agent;

import dev.tether.image.format.ImageKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Where the image key comes from. The node API (reached with the TPM-held API key) will provide it; until
 * then a key file given on the command line, or none for an unencrypted image.
 */
@FunctionalInterface
public interface ImageKeyProvider {
    /** No key: only unencrypted images boot. */
    ImageKeyProvider NONE = config -> Optional.empty();

    Optional<ImageKey> imageKey(BootConfig config) throws IOException, BootConfigException;

    /** The key in {@code file}: 32 raw bytes or 64 hex digits, as imgutil writes and reads it. */
    static ImageKeyProvider fromFile(Path file) {
        return config -> {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file);
            } catch (IOException e) {
                throw new BootConfigException("cannot read the key file " + file + ": " + e.getMessage(), e);
            }
            try {
                if (bytes.length == ImageKey.LENGTH) {
                    return Optional.of(ImageKey.of(bytes));
                }
                String text = new String(bytes, StandardCharsets.US_ASCII).strip();
                if (text.length() == 2 * ImageKey.LENGTH && text.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                    return Optional.of(ImageKey.of(HexFormat.of().parseHex(text)));
                }
            } finally {
                Arrays.fill(bytes, (byte) 0);
            }
            throw new BootConfigException("the key file " + file + " holds " + bytes.length
                    + " bytes; an image key is 32 raw bytes or 64 hex digits");
        };
    }
}

package dev.tether.image.format;

/**
 * How to write a container: encrypted under a key, or unencrypted with integrity only, and the chunk size.
 *
 * @param key the image key, or {@code null} for an unencrypted image
 */
public record ImageOptions(ImageKey key, int chunkSize) {
    public ImageOptions {
        ImageHeader.checkChunkSize(chunkSize);
    }

    public static ImageOptions encrypted(ImageKey key) {
        if (key == null) {
            throw new IllegalArgumentException("an encrypted image needs a key");
        }
        return new ImageOptions(key, ImageHeader.DEFAULT_CHUNK_SIZE);
    }

    public static ImageOptions unencrypted() {
        return new ImageOptions(null, ImageHeader.DEFAULT_CHUNK_SIZE);
    }

    public ImageOptions withChunkSize(int size) {
        return new ImageOptions(key, size);
    }

    public ImageCipher cipher() {
        return key == null ? ImageCipher.NONE_SHA256 : ImageCipher.AES_256_GCM;
    }

    @Override
    public String toString() {
        return "ImageOptions[cipher=" + cipher().displayName() + ", chunkSize=" + chunkSize
                + (key == null ? "" : ", keyId=" + key.keyIdHex()) + "]";
    }
}

package dev.tether.image.format;

/** The key offered is not the one the image was sealed with, found from the key ids before any decryption. */
public final class KeyMismatchException extends ImageFormatException {
    private static final long serialVersionUID = 1L;

    private final String imageKeyId;
    private final String givenKeyId;

    public KeyMismatchException(String imageKeyId, String givenKeyId) {
        super("wrong key: the root image was sealed with key id " + imageKeyId + " but the key given has id "
                + givenKeyId);
        this.imageKeyId = imageKeyId;
        this.givenKeyId = givenKeyId;
    }

    public String imageKeyId() {
        return imageKeyId;
    }

    public String givenKeyId() {
        return givenKeyId;
    }
}

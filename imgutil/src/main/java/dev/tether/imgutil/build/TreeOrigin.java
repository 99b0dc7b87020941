package dev.tether.imgutil.build;

/**
 * Where a built tree came from, as far as the build result reports it.
 *
 * @param sourceImage the OCI image the tree was unpacked from, or {@code null} for a distribution build
 * @param sourceDigest the {@code sha256:} digest of that image's manifest, or {@code null}
 */
public record TreeOrigin(String sourceImage, String sourceDigest) {
    /** A tree made from distribution packages: nothing beyond the request to record. */
    public static final TreeOrigin PACKAGES = new TreeOrigin(null, null);
}

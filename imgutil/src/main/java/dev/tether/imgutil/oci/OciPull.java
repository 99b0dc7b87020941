package dev.tether.imgutil.oci;

import java.nio.file.Path;

/**
 * An OCI image to pull and how.
 *
 * @param pullSecret registry credentials (a docker config JSON, or a directory where a pull Secret is
 *     mounted), or {@code null}
 * @param tlsVerify {@code false} only for a registry that speaks plain HTTP or has a self-signed certificate
 */
public record OciPull(OciSource source, Path pullSecret, boolean tlsVerify) {
}

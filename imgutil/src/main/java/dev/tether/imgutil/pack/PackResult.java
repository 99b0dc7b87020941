package dev.tether.imgutil.pack;

import dev.tether.image.format.Manifest;

/**
 * A finished build: its manifest and the image digest (sha256 of manifest.json).
 *
 * @param bootOrderFiles how many files a boot order placed first; 0 when packed without one
 */
public record PackResult(Manifest manifest, String digest, int bootOrderFiles) {
}

package dev.tether.imgutil.pack;

import dev.tether.image.format.Manifest;

/** A finished build: its manifest and the image digest (sha256 of manifest.json). */
public record PackResult(Manifest manifest, String digest) {
}

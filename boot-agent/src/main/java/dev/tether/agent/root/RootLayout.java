package dev.tether.agent.root;

import java.nio.file.Path;

/**
 * Where the parts of a built root are, for the steps that run after the overlay is up.
 *
 * @param target the root the image's init will run in (the overlay)
 * @param lower the read-only image
 * @param upper the overlay's upper directory on the zram xfs: what the node wrote
 */
public record RootLayout(Path target, Path lower, Path upper) {
}

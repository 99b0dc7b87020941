package dev.tether.agent.root;

import java.util.Optional;

/**
 * How the writable layer's zram device is set up: from the profile, overridden by the kernel command line.
 *
 * @param algorithm the compression algorithm, or empty for the kernel's default
 */
public record ZramSettings(ZramSize size, Optional<String> algorithm) {
    public static final ZramSettings DEFAULT = new ZramSettings(ZramSize.DEFAULT, Optional.empty());
}

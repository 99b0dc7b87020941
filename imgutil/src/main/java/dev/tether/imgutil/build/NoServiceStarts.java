package dev.tether.imgutil.build;

import dev.tether.imgutil.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A {@code policy-rc.d} that answers 101 keeps Debian package scripts from starting services inside
 * the tree (no init runs there) while a build runs. Removed afterwards; pack excludes it too, should
 * a killed build leave it behind.
 */
public final class NoServiceStarts {
    private NoServiceStarts() {
    }

    /** Runs {@code work} with service starts blocked in {@code root}. */
    public static void during(Path root, Runnable work) {
        Path policy = root.resolve("usr/sbin/policy-rc.d");
        try {
            Files.createDirectories(policy.getParent());
            Files.writeString(policy, "#!/bin/sh\n# imgutil: no service starts while the image is built\nexit 101\n");
            Files.setPosixFilePermissions(policy, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UserError("cannot write " + policy + ": " + e.getMessage());
        }
        try {
            work.run();
        } finally {
            try {
                Files.deleteIfExists(policy);
            } catch (IOException e) {
                throw new UserError("cannot remove " + policy + ": " + e.getMessage());
            }
        }
    }
}

package dev.tether.imgutil.build;

import dev.tether.imgutil.UserError;
import java.util.Arrays;
import java.util.stream.Collectors;

/** The distribution families imgutil builds, by the name used on the command line and in a DisklessImage. */
public enum Distribution {
    DEBIAN("debian"),
    UBUNTU("ubuntu"),
    RHEL_FAMILY("rhel-family"),
    /** An OCI container image, unpacked; what it lacks to boot comes from its own package manager. */
    OCI("oci");

    private final String cliName;

    Distribution(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    public static Distribution parse(String name) {
        for (Distribution distribution : values()) {
            if (distribution.cliName.equals(name)) {
                return distribution;
            }
        }
        throw new UserError("unknown distribution '" + name + "' (known: " + names() + ")");
    }

    public static String names() {
        return Arrays.stream(values()).map(Distribution::cliName).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return cliName;
    }
}

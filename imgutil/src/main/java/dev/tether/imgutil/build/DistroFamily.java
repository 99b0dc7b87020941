package dev.tether.imgutil.build;

import dev.tether.imgutil.UserError;
import java.util.Arrays;
import java.util.stream.Collectors;

/** The distribution families imgutil builds, by the name used on the command line and in a DisklessImage. */
public enum DistroFamily {
    DEBIAN("debian"),
    UBUNTU("ubuntu"),
    RHEL_FAMILY("rhel-family"),
    /** An OCI container image, unpacked; what it lacks to boot comes from its own package manager. */
    OCI("oci");

    private final String cliName;

    DistroFamily(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    public static DistroFamily parse(String name) {
        for (DistroFamily distribution : values()) {
            if (distribution.cliName.equals(name)) {
                return distribution;
            }
        }
        throw new UserError("unknown distribution '" + name + "' (known: " + names() + ")");
    }

    public static String names() {
        return Arrays.stream(values()).map(DistroFamily::cliName).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return cliName;
    }
}

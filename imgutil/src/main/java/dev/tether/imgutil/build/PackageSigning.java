package dev.tether.imgutil.build;

import java.util.List;

/**
 * How packages from the extra repositories are verified (RHEL family): by default every package must be
 * signed by one of {@code gpgKeys}; only an explicit opt-out turns the check off.
 *
 * @param gpgKeys URLs of the repositories' public keys (file://, http://, https://), imported into the tree
 * @param check {@code false} only when the user asked for unsigned packages
 */
public record PackageSigning(List<String> gpgKeys, boolean check) {
    public static final PackageSigning REQUIRED = new PackageSigning(List.of(), true);

    public PackageSigning {
        gpgKeys = List.copyOf(gpgKeys);
    }
}

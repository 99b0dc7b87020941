package dev.tether.imgutil.build;

import dev.tether.imgutil.oci.OciPull;
import java.nio.file.Path;
import java.util.List;

/**
 * What to build: a distribution release for one architecture, with extra packages and repositories, or
 * an OCI image with packages added.
 *
 * @param release the distribution release, or {@code null} for an OCI image (its os-release says)
 * @param mirror the package mirror, or {@code null} for the distribution's default
 * @param repositories extra sources: a sources.list line for Debian/Ubuntu, a baseurl for the RHEL family
 * @param agentBundle the boot agent bundle to put into the tree, or {@code null}
 * @param oci the image to unpack for distribution oci, else {@code null}
 * @param signing how packages of the extra repositories are verified (RHEL family)
 */
public record BuildRequest(DistroFamily distribution, String release, String architecture, List<String> packages,
        List<String> repositories, String mirror, Path agentBundle, OciPull oci, PackageSigning signing) {
    public BuildRequest {
        packages = List.copyOf(packages);
        repositories = List.copyOf(repositories);
        signing = signing == null ? PackageSigning.REQUIRED : signing;
    }

    public BuildRequest(DistroFamily distribution, String release, String architecture, List<String> packages,
            List<String> repositories, String mirror, Path agentBundle, OciPull oci) {
        this(distribution, release, architecture, packages, repositories, mirror, agentBundle, oci, null);
    }

    /** A distribution build (debootstrap or dnf). */
    public BuildRequest(DistroFamily distribution, String release, String architecture, List<String> packages,
            List<String> repositories, String mirror, Path agentBundle) {
        this(distribution, release, architecture, packages, repositories, mirror, agentBundle, null, null);
    }
}

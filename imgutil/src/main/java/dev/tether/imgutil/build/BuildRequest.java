package dev.tether.imgutil.build;

import java.nio.file.Path;
import java.util.List;

/**
 * What to build: a distribution release for one architecture, with extra packages and repositories.
 *
 * @param mirror the package mirror, or {@code null} for the distribution's default
 * @param repositories extra sources: a sources.list line for Debian/Ubuntu, a baseurl for the RHEL family
 * @param agentBundle the boot agent bundle to put into the tree, or {@code null}
 */
public record BuildRequest(Distribution distribution, String release, String architecture, List<String> packages,
        List<String> repositories, String mirror, Path agentBundle) {
    public BuildRequest {
        packages = List.copyOf(packages);
        repositories = List.copyOf(repositories);
    }
}

package dev.tether.imgutil.build;

import dev.tether.imgutil.util.ProcessRunner;
import java.nio.file.Path;

/** Makes a root tree from distribution packages. One implementation per package manager. */
public interface TreeBuilder {
    /** Fills the empty directory {@code root} with a bootable tree (kernel and initramfs tool included). */
    void build(BuildRequest request, Path root);

    static TreeBuilder forDistribution(Distribution distribution, ProcessRunner runner) {
        return distribution == Distribution.RHEL_FAMILY ? new DnfBuilder(runner) : new DebootstrapBuilder(runner);
    }
}

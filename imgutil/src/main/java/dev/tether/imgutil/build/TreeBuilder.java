package dev.tether.imgutil.build;

import dev.tether.imgutil.oci.OciImageBuilder;
import dev.tether.imgutil.util.ProcessRunner;
import java.nio.file.Path;

/** Makes a root tree from distribution packages or an OCI image. One implementation per source. */
public interface TreeBuilder {
    /** Fills the empty directory {@code root} with a bootable tree (kernel and initramfs tool included). */
    TreeOrigin build(BuildRequest request, Path root);

    static TreeBuilder forDistribution(DistroFamily distribution, ProcessRunner runner) {
        return switch (distribution) {
            case RHEL_FAMILY -> new DnfBuilder(runner);
            case OCI -> new OciImageBuilder(runner);
            case DEBIAN, UBUNTU -> new DebootstrapBuilder(runner);
        };
    }
}

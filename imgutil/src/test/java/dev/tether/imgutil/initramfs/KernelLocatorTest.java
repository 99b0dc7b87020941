package dev.tether.imgutil.initramfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelLocatorTest {
    @TempDir
    Path root;

    @Test
    void picksTheNewestKernelThatHasModulesAndAnImage() throws Exception {
        for (String version : new String[] {"6.1.0-9-amd64", "6.1.0-28-amd64", "6.10.0-1-amd64"}) {
            Files.createDirectories(root.resolve("usr/lib/modules/" + version));
        }
        Files.createDirectories(root.resolve("boot"));
        Files.writeString(root.resolve("boot/vmlinuz-6.1.0-9-amd64"), "k");
        Files.writeString(root.resolve("boot/vmlinuz-6.1.0-28-amd64"), "k");
        Files.createDirectories(root.resolve("usr/sbin"));
        Files.writeString(root.resolve("usr/sbin/update-initramfs"), "#!/bin/sh\n");
        root.resolve("usr/sbin/update-initramfs").toFile().setExecutable(true);

        KernelLocator.Kernel kernel = KernelLocator.locate(root);

        assertThat(kernel.version()).isEqualTo("6.1.0-28-amd64");
        assertThat(kernel.tool()).isEqualTo(InitramfsTool.INITRAMFS_TOOLS);
        assertThat(kernel.initramfs()).isEqualTo(root.resolve("boot/initrd.img-6.1.0-28-amd64"));
        assertThat(kernel.tool().regenerate(root, kernel.version()))
                .containsExactly("update-initramfs", "-c", "-k", "6.1.0-28-amd64");
    }

    @Test
    void versionsCompareNumerically() {
        assertThat(KernelLocator.compareVersions("6.1.0-9", "6.1.0-28")).isNegative();
        assertThat(KernelLocator.compareVersions("6.10.0", "6.9.0")).isPositive();
        assertThat(KernelLocator.compareVersions("5.14.0-427.el9", "5.14.0-427.el9")).isZero();
    }

    @Test
    void dracutImagesNameTheirInitramfsTheRhelWay() {
        assertThat(InitramfsTool.DRACUT.initramfsPath("5.14.0-427.el9.x86_64"))
                .isEqualTo("boot/initramfs-5.14.0-427.el9.x86_64.img");
        assertThat(InitramfsTool.DRACUT.regenerate(root, "5.14.0")).containsExactly("dracut", "--force", "--kver",
                "5.14.0", "/boot/initramfs-5.14.0.img");
    }
}

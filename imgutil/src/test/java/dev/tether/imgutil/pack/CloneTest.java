package dev.tether.imgutil.pack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.imgutil.cli.CliRun;
import dev.tether.imgutil.util.Tools;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CloneTest {
    @TempDir
    Path dir;

    @Test
    void keepsHardLinksXattrsDevicesLinksAndModes() throws Exception {
        assumeTrue(Tools.runningAsRoot(), "SKIPPED: needs root to make a device node and keep ownership");
        Path source = Files.createDirectories(dir.resolve("src/etc"));
        Path file = Files.writeString(source.resolve("a"), "data");
        Files.createLink(source.resolve("b"), file);
        Files.createSymbolicLink(source.resolve("link"), Path.of("a"));
        assertThat(new ProcessBuilder("chmod", "4750", file.toString()).start().waitFor()).isZero();
        UserDefinedFileAttributeView xattrs = Files.getFileAttributeView(file, UserDefinedFileAttributeView.class);
        boolean xattrSupported = true;
        try {
            xattrs.write("tether.test", StandardCharsets.UTF_8.encode("kept"));
        } catch (java.io.IOException e) {
            xattrSupported = false;
        }
        Process mknod = new ProcessBuilder("mknod", source.resolve("null").toString(), "c", "1", "3").start();
        assertThat(mknod.waitFor()).isZero();
        Path target = dir.resolve("copy");

        CliRun run = CliRun.of("clone", dir.resolve("src").toString(), target.toString());

        assertThat(run.status()).as(run.err()).isZero();
        Path copied = target.resolve("etc");
        assertThat(Files.getAttribute(copied.resolve("a"), "unix:ino"))
                .isEqualTo(Files.getAttribute(copied.resolve("b"), "unix:ino"));
        assertThat(Files.readSymbolicLink(copied.resolve("link"))).isEqualTo(Path.of("a"));
        assertThat(Files.getAttribute(copied.resolve("a"), "unix:mode")).isEqualTo(0104750);
        assertThat(Files.getAttribute(copied.resolve("null"), "unix:rdev", LinkOption.NOFOLLOW_LINKS))
                .isEqualTo(Files.getAttribute(source.resolve("null"), "unix:rdev", LinkOption.NOFOLLOW_LINKS));
        if (xattrSupported) {
            UserDefinedFileAttributeView view = Files.getFileAttributeView(copied.resolve("a"),
                    UserDefinedFileAttributeView.class);
            ByteBuffer value = ByteBuffer.allocate(16);
            view.read("tether.test", value);
            assertThat(StandardCharsets.UTF_8.decode(value.flip()).toString()).isEqualTo("kept");
        }
        assertThat(dir.resolve(".copy.partial")).doesNotExist();
    }

    @Test
    void refusesAnExistingTarget() throws Exception {
        Path source = Files.createDirectories(dir.resolve("src"));
        Path target = Files.createDirectories(dir.resolve("dst"));
        CliRun run = CliRun.of("clone", source.toString(), target.toString());
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.errorLine()).isEqualTo("imgutil: " + target + " already exists; clone makes a new tree");
    }
}

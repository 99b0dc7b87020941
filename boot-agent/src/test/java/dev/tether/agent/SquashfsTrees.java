package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** Small generated root trees packed with the real mksquashfs, for the mount tests. */
public final class SquashfsTrees {
    private SquashfsTrees() {
    }

    /** The files of a small root tree, by relative path; the content names the file so mix-ups show. */
    public static Map<String, String> sampleFiles() {
        Map<String, String> files = new TreeMap<>();
        files.put("etc/os-release", "PRETTY_NAME=\"Tether test image\"\nID=tether-test\n");
        files.put("etc/hostname", "localhost\n");
        files.put("etc/motd", "welcome to the test image\n");
        files.put("usr/share/doc/README", "a file deeper in the tree\n".repeat(100));
        files.put("sbin/init", "#!/bin/sh\necho init\n");
        return files;
    }

    /** Writes {@code files} under {@code tree} and packs them into {@code squashfs}. */
    public static Path pack(Map<String, String> files, Path tree, Path squashfs) throws IOException, InterruptedException {
        for (Map.Entry<String, String> file : files.entrySet()) {
            Path path = tree.resolve(file.getKey());
            Files.createDirectories(path.getParent());
            Files.writeString(path, file.getValue());
        }
        Process mksquashfs = new ProcessBuilder("mksquashfs", tree.toString(), squashfs.toString(),
                "-noappend", "-quiet", "-no-progress", "-all-root")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(mksquashfs.waitFor()).as("mksquashfs exit status").isZero();
        return squashfs;
    }
}

package dev.tether.agent.trace;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.HostRequirements;
import dev.tether.agent.fuse.FuseMount;
import dev.tether.agent.fuse.ReadOnlyFile;
import dev.tether.agent.fuse.RecordingFile;
import dev.tether.image.trace.RootReadTrace;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel's own reads: a squashfs served through the recording FUSE file and loop-mounted, two known files read
 * through it, and the trace mapped back to the files by the agent's reader.
 */
class BootTraceRecordingTest {
    private static final int FILES = 40;

    @TempDir
    Path dir;

    @Test
    void theKernelsReadsOfKnownFilesMapBackToThoseFilesInReadOrder() throws Exception {
        HostRequirements.root();
        HostRequirements.filesystem("squashfs");
        HostRequirements.filesystem("fuse");
        HostRequirements.tools("mksquashfs", "mount", "umount");
        Path tree = Files.createDirectories(dir.resolve("tree"));
        Random random = new Random(16);
        for (int i = 0; i < FILES; i++) {
            byte[] content = new byte[1 << 20];
            random.nextBytes(content);
            Files.write(tree.resolve(String.format("f%02d", i)), content);
        }
        Path image = dir.resolve("image.sfs");
        run("mksquashfs", tree.toString(), image.toString(), "-comp", "zstd", "-no-fragments", "-quiet", "-no-progress");
        Path fuseDir = Files.createDirectories(dir.resolve("fuse"));
        Path mnt = Files.createDirectories(dir.resolve("mnt"));

        ReadTraceRecorder recorder = new ReadTraceRecorder(System::nanoTime, ReadTraceRecorder.DEFAULT_MAX_READS);
        BootTraceRecording.Result result;
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ)) {
            ReadOnlyFile plain = new ReadOnlyFile() {
                @Override
                public long size() {
                    try {
                        return channel.size();
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }

                @Override
                public int read(long position, ByteBuffer dst) throws IOException {
                    return channel.read(dst, position);
                }
            };
            try (FuseMount fuse = FuseMount.mount(fuseDir, "root.sfs", new RecordingFile(plain, recorder))) {
                run("mount", "-t", "squashfs", "-o", "ro,loop", fuseDir.resolve("root.sfs").toString(), mnt.toString());
                try {
                    assertThat(Files.readAllBytes(mnt.resolve("f30"))).isEqualTo(Files.readAllBytes(tree.resolve("f30")));
                    assertThat(Files.readAllBytes(mnt.resolve("f15"))).isEqualTo(Files.readAllBytes(tree.resolve("f15")));
                } finally {
                    run("umount", mnt.toString());
                }
            }
            result = new BootTraceRecording(recorder, plain, System::nanoTime).finish(dir.resolve("run"));
        }

        List<String> files = result.files();
        assertThat(files).contains("/f30", "/f15");
        assertThat(files.indexOf("/f30")).isLessThan(files.indexOf("/f15"));
        // Read-ahead may reach a few MiB past a file it reads, never the files far from both; and the file before one
        // read, whose last bytes share a page with it, is not named.
        assertThat(files).doesNotContain("/f29", "/f14", "/f22", "/f23", "/f24", "/f25", "/f26");
        assertThat(Files.readAllLines(dir.resolve("run/" + BootTraceRecording.FILES_FILE))).isEqualTo(files);
        RootReadTrace written = RootReadTrace.read(new StringReader(
                Files.readString(dir.resolve("run/" + BootTraceRecording.TRACE_FILE))));
        assertThat(written).isEqualTo(result.trace());
        // Both files' 1 MiB were read (incompressible, so stored whole), and not the whole 40 MiB image.
        assertThat(written.distinctBytes()).isBetween(2L << 20, 20L << 20);
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(String.join(" ", List.of(command)) + " failed: " + output);
        }
    }
}

package dev.tether.agent.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's own FUSE server on the real {@code /dev/fuse}, mounted in this JVM and read through the kernel as the
 * squashfs's loop device and a node's programs read it.
 */
class FuseMountTest {
    private static final String NAME = "root.sfs";
    /** Not a multiple of any page or request size, so the last read of every kind is a short one. */
    private static final int SIZE = (3 << 20) + 4321;

    @TempDir
    Path dir;
    private final byte[] content = new byte[SIZE];
    private final List<FuseMount> mounts = new ArrayList<>();

    @BeforeEach
    void needsRootAndFuse() {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "SKIPPED: mounting FUSE needs root; run the tests as root");
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "SKIPPED: /dev/fuse is missing (modprobe fuse)");
        new Random(16).nextBytes(content);
    }

    @AfterEach
    void unmount() throws IOException {
        for (FuseMount mount : mounts) {
            mount.close();
        }
    }

    private FuseMount mount(ReadOnlyFile file) throws IOException {
        FuseMount mount = FuseMount.mount(dir, NAME, file);
        mounts.add(mount);
        return mount;
    }

    /** The test's bytes, served as the file; {@code reads} counts each read and keeps the largest size. */
    private ReadOnlyFile bytes(AtomicInteger largestRead) {
        return new ReadOnlyFile() {
            @Override
            public long size() {
                return SIZE;
            }

            @Override
            public int read(long position, ByteBuffer dst) {
                if (position >= SIZE) {
                    return -1;
                }
                int n = (int) Math.min(dst.remaining(), SIZE - position);
                largestRead.accumulateAndGet(n, Math::max);
                dst.put(content, (int) position, n);
                return n;
            }
        };
    }

    @Test
    void theOneFileReadsBackWholeAndAtAnyOffsetAndNothingElseIsThere() throws Exception {
        mount(bytes(new AtomicInteger()));
        Path file = dir.resolve(NAME);
        try (var listing = Files.list(dir)) {
            assertThat(listing.map(p -> p.getFileName().toString())).containsExactly(NAME);
        }
        assertThat(Files.isRegularFile(file)).isTrue();
        assertThat(Files.size(file)).isEqualTo(SIZE);
        assertThat(Files.exists(dir.resolve("other"))).isFalse();
        assertThat(Files.exists(dir.resolve(NAME + "/x"))).isFalse();
        assertThat(Files.readAllBytes(file)).isEqualTo(content);
        Random random = new Random(7);
        try (FileChannel channel = FileChannel.open(file)) {
            for (int i = 0; i < 300; i++) {
                long offset = random.nextInt(SIZE + 10_000);
                ByteBuffer buffer = ByteBuffer.allocate(1 + random.nextInt(300_000));
                int read = channel.read(buffer, offset);
                if (offset >= SIZE) {
                    assertThat(read).as("a read at %d, past the end", offset).isEqualTo(-1);
                } else {
                    int expected = (int) Math.min(buffer.capacity(), SIZE - offset);
                    assertThat(read).as("bytes read at %d", offset).isEqualTo(expected);
                    assertThat(Arrays.copyOf(buffer.array(), read))
                            .isEqualTo(Arrays.copyOfRange(content, (int) offset, (int) offset + read));
                }
            }
        }
        assertThat(Files.readString(Path.of("/proc/self/mountinfo")))
                .containsPattern(" " + Pattern.quote(dir.toString()) + " ro,[^\\n]* - fuse\\.tether tether-root ro");
    }

    @Test
    void aDirectReadOfAMebibyteReachesTheFileAsOneRequestLargerThanTheKernelsDefault() throws Exception {
        AtomicInteger largest = new AtomicInteger();
        mount(bytes(largest));
        ByteBuffer buffer = ByteBuffer.allocateDirect((1 << 20) + 4096).alignedSlice(4096);
        try (FileChannel channel = FileChannel.open(dir.resolve(NAME), StandardOpenOption.READ,
                ExtendedOpenOption.DIRECT)) {
            assertThat(channel.read(buffer, 1 << 20)).isEqualTo(1 << 20);
        }
        byte[] read = new byte[1 << 20];
        buffer.flip().get(read);
        assertThat(read).isEqualTo(Arrays.copyOfRange(content, 1 << 20, 2 << 20));
        // 128 KiB (32 pages) is all a FUSE request may ask for unless the filesystem says otherwise at INIT.
        assertThat(largest.get()).isGreaterThan(128 << 10);
    }

    @Test
    void readsThatWaitOnTheirFileAreServedSideBySide() throws Exception {
        int together = 4;
        CountDownLatch allIn = new CountDownLatch(together);
        ReadOnlyFile slow = new ReadOnlyFile() {
            @Override
            public long size() {
                return SIZE;
            }

            @Override
            public int read(long position, ByteBuffer dst) throws IOException {
                // As a read waiting for an edge: it ends only once the other reads have come in beside it.
                allIn.countDown();
                try {
                    if (!allIn.await(60, TimeUnit.SECONDS)) {
                        throw new IOException("the other reads never came: the reads were served one at a time");
                    }
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                int n = (int) Math.min(dst.remaining(), SIZE - position);
                dst.put(content, (int) position, n);
                return n;
            }
        };
        FuseMount mount = mount(slow);
        ExecutorService readers = Executors.newFixedThreadPool(together);
        try {
            List<Future<byte[]>> reads = new ArrayList<>();
            for (int i = 0; i < together; i++) {
                long offset = i * 512L * 1024;
                reads.add(readers.submit(() -> {
                    ByteBuffer buffer = ByteBuffer.allocateDirect(2 * 4096).alignedSlice(4096);
                    try (FileChannel channel = FileChannel.open(dir.resolve(NAME), StandardOpenOption.READ,
                            ExtendedOpenOption.DIRECT)) {
                        channel.read(buffer, offset);
                    }
                    byte[] bytes = new byte[4096];
                    buffer.flip().get(bytes);
                    return bytes;
                }));
            }
            for (int i = 0; i < together; i++) {
                long offset = i * 512L * 1024;
                assertThat(reads.get(i).get(90, TimeUnit.SECONDS))
                        .isEqualTo(Arrays.copyOfRange(content, (int) offset, (int) offset + 4096));
            }
        } finally {
            readers.shutdownNow();
        }
        assertThat(mount.threads()).isGreaterThanOrEqualTo(together).isLessThanOrEqualTo(FuseMount.MAX_THREADS);
    }

    @Test
    void writesAreRefusedAndAFailedReadIsAnIoErrorThatTheNextReadOutlives() throws Exception {
        AtomicInteger largest = new AtomicInteger();
        ReadOnlyFile good = bytes(largest);
        mount(new ReadOnlyFile() {
            @Override
            public long size() {
                return SIZE;
            }

            @Override
            public int read(long position, ByteBuffer dst) throws IOException {
                if (position < 4096) {
                    throw new IOException("every edge refused the first chunk");
                }
                return good.read(position, dst);
            }
        });
        Path file = dir.resolve(NAME);
        assertThatThrownBy(() -> Files.newOutputStream(file, StandardOpenOption.WRITE))
                .isInstanceOf(FileSystemException.class).hasMessageContaining("Read-only file system");
        assertThatThrownBy(() -> Files.createFile(dir.resolve("new")))
                .isInstanceOf(FileSystemException.class).hasMessageContaining("Read-only file system");
        assertThat(Files.getFileStore(file).isReadOnly()).isTrue();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(2 * 4096).alignedSlice(4096);
            assertThatThrownBy(() -> channel.read(buffer, 0)).isInstanceOf(IOException.class)
                    .hasMessageContaining("Input/output error");
            buffer.clear().limit(4096);
            assertThat(channel.read(buffer, 8192)).isEqualTo(4096);
        }
    }

    /**
     * The file is the whole decrypted root image, root-only files ({@code /etc/shadow}) among its bytes: a node's other
     * users must not read it past the permissions the root's files have. FUSE lets only the mounting user in unless the
     * mount says {@code allow_other}, which it does not.
     */
    @Test
    void anotherUserOfTheNodeCannotReadTheDecryptedImage() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")),
                "SKIPPED: setpriv (util-linux) is needed to read as another user");
        mount(bytes(new AtomicInteger()));
        Path file = dir.resolve(NAME);
        // Mounted over, the temporary directory's own mode is not what a reader meets: the mount's root is (0555).
        List<String[]> commands = List.of(new String[]{"head", "-c", "16", file.toString()},
                new String[]{"ls", dir.toString()});
        for (String[] command : commands) {
            List<String> asNobody = new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534",
                    "--clear-groups"));
            asNobody.addAll(List.of(command));
            Process process = new ProcessBuilder(asNobody).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).as("%s as nobody: %s", command[0], output).isNotZero();
            assertThat(output).contains("Permission denied");
        }
        Process asRoot = new ProcessBuilder("head", "-c", "16", file.toString()).start();
        assertThat(asRoot.getInputStream().readAllBytes()).isEqualTo(Arrays.copyOf(content, 16));
        assertThat(asRoot.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void closingUnmountsAndEndsEveryServingThread() throws Exception {
        FuseMount mount = FuseMount.mount(dir, NAME, bytes(new AtomicInteger()));
        assertThat(Files.readAllBytes(dir.resolve(NAME))).isEqualTo(content);
        assertThat(mount.threads()).isPositive();
        mount.close();
        assertThat(mount.threads()).isZero();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(" " + dir + " ");
        assertThat(Files.exists(dir.resolve(NAME))).isFalse();
        mount.close(); // a second close does nothing
    }

    /** What {@link FuseMount#close()} promises a user it did not wait for: errors, then an end once it lets go. */
    @Test
    void aFileStillOpenWhenTheMountClosesGetsErrorsAndTheCloseEndsWhenItIsLetGo() throws Exception {
        FuseMount mount = FuseMount.mount(dir, NAME, bytes(new AtomicInteger()));
        FileChannel channel = FileChannel.open(dir.resolve(NAME), StandardOpenOption.READ, ExtendedOpenOption.DIRECT);
        ByteBuffer buffer = ByteBuffer.allocateDirect(2 * 4096).alignedSlice(4096);
        buffer.limit(4096);
        assertThat(channel.read(buffer, 0)).isEqualTo(4096);
        ExecutorService closer = Executors.newSingleThreadExecutor();
        try {
            Future<?> closing = closer.submit(() -> {
                mount.close();
                return null;
            });
            // Unmounted lazily: gone from the mount table at once, while the open file keeps the connection.
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> !Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + dir + " "));
            buffer.clear().limit(4096);
            assertThatThrownBy(() -> channel.read(buffer, 8192)).isInstanceOf(IOException.class)
                    .hasMessageContaining("Input/output error");
            channel.close();
            closing.get(30, TimeUnit.SECONDS);
            assertThat(mount.threads()).isZero();
        } finally {
            closer.shutdownNow();
            channel.close();
        }
    }

    @Test
    void aMountPointThatIsNoDirectoryIsRefusedSaying() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("file"), "x");
        assertThatThrownBy(() -> FuseMount.mount(notADirectory, NAME, bytes(new AtomicInteger())))
                .isInstanceOf(IOException.class).hasMessageContaining("not a directory");
        assertThatThrownBy(() -> FuseMount.mount(dir, "a/b", bytes(new AtomicInteger())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("one path element");
    }
}

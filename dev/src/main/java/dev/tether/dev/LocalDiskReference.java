package dev.tether.dev;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The limit a diskless boot is measured against (issue 16): the same image, kernel and initramfs booted from a
 * local virtio disk in the same emulation (memory, CPUs, user network), with no firmware network boot, no
 * download and no agent. The image's own initramfs boots it the stock way ({@code root=/dev/vda}, without
 * {@code boot=tether}), so what differs from a Tether boot is exactly what Tether adds.
 *
 * <p>The disk is an ext4 file system made from the image's tree ({@code imgutil unpack}), with what the agent and the
 * initramfs would otherwise provide at boot written into it once: SSH host keys, the test key in root's authorized
 * keys, an fstab, and DHCP on the network interfaces. It is made once per cached image build and kept next to it.
 */
public final class LocalDiskReference {
    /** Named by what is in it: a change to what is written into the disk gets a new one. */
    static final String DISK = "reference/disk-v2.img";

    private LocalDiskReference() {
    }

    /** When each phase of the reference boot was reached, from power-on to an ssh login, in order. */
    public record Boot(Map<String, Instant> marks) {
        public double secondsTo(String mark) {
            return Duration.between(marks.get("start"), marks.get(mark)).toMillis() / 1000.0;
        }
    }

    /** Boots the reference of {@code image} once and returns its phase marks. */
    public static Boot boot(Path projectDir, ImageCache.CachedImage image, Path runDir, Duration patience) throws Exception {
        Path disk = disk(projectDir, image);
        Path out = image.directory().resolve("out");
        Files.createDirectories(runDir);
        try (var vm = VirtualMachine.builder().workDir(runDir).disk(disk)
                .directKernel(out.resolve("vmlinuz"), out.resolve("initrd.img"), "root=/dev/vda rw console=ttyS0")
                .start()) {
            System.err.println("[LocalDiskReference] VM console: " + vm.consoleLog());
            var marks = new LinkedHashMap<String, Instant>();
            marks.put("start", vm.started());
            marks.put("kernel running", vm.waitFor("Linux version", patience).at());
            marks.put("systemd running", vm.waitFor("Welcome to", patience).at());
            marks.put("login prompt", vm.waitFor("login:", patience).at());
            var login = vm.sshWhenReady(LoginKey.get().privateKey(), "findmnt -n -o FSTYPE,SOURCE /", patience);
            marks.put("ssh login", Instant.now());
            // A reference that booted anything but the local disk would flatter no one: check what it is.
            if (login.status() != 0 || !List.of(login.output().strip().split("\\s+")).equals(List.of("ext4", "/dev/vda"))) {
                throw new AssertionError("the reference boot's root is not the local ext4 disk: " + login.output());
            }
            return new Boot(marks);
        }
    }

    /** The reference disk of {@code image}, made on first use. */
    static synchronized Path disk(Path projectDir, ImageCache.CachedImage image) throws Exception {
        for (String tool : List.of("mkfs.ext4", "ssh-keygen", "unsquashfs")) {
            MissingPrerequisite.require(ImageCache.onPath(tool), "the local-disk reference boot needs " + tool + " on the PATH");
        }
        Path disk = image.directory().resolve(DISK);
        if (Files.exists(disk)) {
            return disk;
        }
        Path dir = disk.getParent();
        Path tree = dir.resolve("tree");
        removeTree(tree);
        Files.createDirectories(dir);
        Path imgutil = projectDir.resolve("imgutil/target/imgutil.jar");
        run(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", imgutil.toString(), "unpack",
                image.directory().resolve("out").toString(), tree.toString(),
                "--key-file", image.directory().resolve(ImageCache.IMAGE_KEY_FILE).toString(), "--scratch", dir.toString()));
        // What the agent writes at every Tether boot, written once here.
        Files.createDirectories(tree.resolve("etc/ssh"));
        run(List.of("ssh-keygen", "-A", "-f", tree.toString()));
        Path ssh = tree.resolve("root/.ssh");
        Files.createDirectories(ssh);
        Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwx------"));
        Files.writeString(ssh.resolve("authorized_keys"), LoginKey.get().publicKey() + "\n");
        Files.writeString(tree.resolve("etc/fstab"), "/dev/vda / ext4 rw,errors=remount-ro 0 1\n");
        // A Tether boot's network comes configured from the initramfs; a local boot's must be configured by the
        // system: DHCP on every Ethernet interface through systemd-networkd, which the image has.
        Path network = Files.createDirectories(tree.resolve("etc/systemd/network"));
        Files.writeString(network.resolve("80-reference-dhcp.network"), "[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n");
        Path wants = Files.createDirectories(tree.resolve("etc/systemd/system/multi-user.target.wants"));
        Files.deleteIfExists(wants.resolve("systemd-networkd.service"));
        Files.createSymbolicLink(wants.resolve("systemd-networkd.service"), Path.of("/lib/systemd/system/systemd-networkd.service"));
        long treeBytes = size(tree);
        // Room for what a booted system writes (journal, logs), as the zram layer gives a Tether boot.
        long diskBytes = treeBytes + treeBytes / 2 + (512L << 20);
        Path partial = dir.resolve("disk.img.partial");
        Files.deleteIfExists(partial);
        run(List.of("mkfs.ext4", "-q", "-F", "-L", "root", "-d", tree.toString(), partial.toString(), (diskBytes >> 20) + "M"));
        Files.move(partial, disk);
        removeTree(tree);
        System.err.printf(Locale.ROOT, "[LocalDiskReference] made %s: %d MiB of files on a %d MiB ext4 disk%n", disk,
                treeBytes >> 20, diskBytes >> 20);
        return disk;
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output.strip());
        }
    }

    /** Bytes of the tree, as du counts them (symbolic links not followed: they point into the image, not the host). */
    private static long size(Path tree) throws IOException, InterruptedException {
        Process du = new ProcessBuilder("du", "-sb", tree.toString()).start();
        String output = new String(du.getInputStream().readAllBytes()).strip();
        if (du.waitFor() != 0) {
            throw new IOException("du -sb " + tree + " failed");
        }
        return Long.parseLong(output.split("\\s+")[0]);
    }

    private static void removeTree(Path tree) throws IOException, InterruptedException {
        if (Files.exists(tree)) {
            run(List.of("rm", "-rf", "--one-file-system", tree.toString()));
        }
    }
}

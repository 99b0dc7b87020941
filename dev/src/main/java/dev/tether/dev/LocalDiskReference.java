package dev.tether.dev;

import dev.tether.imgutil.initramfs.InitramfsIntegration;
import dev.tether.imgutil.initramfs.KernelLocator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The limit a diskless boot is measured against (issue 16): the same image and kernel booted from a local virtio
 * disk in the same emulation (memory, CPUs, user network), with no firmware network boot, no download and no agent,
 * by the initramfs a local install of the image would have: the distribution's own, made by the image's mkinitramfs
 * from its tree without Tether's hook and configuration ({@code MODULES=most}, every disk driver and no agent). The
 * Tether image's initramfs could not boot it: it holds the network drivers and no disk driver (imgutil's
 * {@code conf.d/00-tether}). So what differs from a Tether boot is exactly what Tether adds and leaves out.
 *
 * <p>The disk is an ext4 file system made from the image's tree ({@code imgutil unpack}), with what the agent and the
 * initramfs would otherwise provide at boot written into it once: SSH host keys, the test key in root's authorized
 * keys, an fstab, and DHCP on the network interfaces. It is made once per cached image build and kept next to it.
 */
public final class LocalDiskReference {
    /** Named by what is in it: a change to what is written into the disk gets a new one. */
    static final String DISK = "reference/disk-v3.img";
    /** The image's stock initramfs, made with the disk. */
    static final String INITRD = "reference/initrd-stock-v3.img";
    /** For each tool that makes the disk: unpacking the image, mkfs.ext4 of its tree, mkinitramfs in a chroot. */
    private static final Duration BUILD_PATIENCE = Duration.ofMinutes(30);

    private LocalDiskReference() {
    }

    /**
     * When each phase of the reference boot was reached, from power-on to an ssh login, in order, and last "sshd
     * active" ({@link VirtualMachine#sshdActiveAt}, before the login); what the boot had read from its disk right
     * after that login; and its CPU's account at the login.
     */
    public record Boot(Map<String, Instant> marks, BlockReads rootReads, GuestCpu cpu) {
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
                .directKernel(out.resolve("vmlinuz"), image.directory().resolve(INITRD), "root=/dev/vda rw console=ttyS0")
                .start()) {
            System.err.println("[LocalDiskReference] VM console: " + vm.consoleLog());
            var marks = new LinkedHashMap<String, Instant>();
            marks.put("start", vm.started());
            marks.put("kernel running", vm.waitFor("Linux version", patience).at());
            marks.put("systemd running", vm.waitFor("Welcome to", patience).at());
            marks.put("login prompt", vm.waitFor("login:", patience).at());
            var login = vm.sshWhenReady(LoginKey.get().privateKey(), GuestCpu.after("findmnt -n -o FSTYPE,SOURCE /"),
                    patience);
            marks.put("ssh login", Instant.now());
            // A reference that booted anything but the local disk would flatter no one: check what it is.
            if (login.status() != 0
                    || !List.of(GuestCpu.commandOutput(login.output()).strip().split("\\s+"))
                            .equals(List.of("ext4", "/dev/vda"))) {
                throw new AssertionError("the reference boot's root is not the local ext4 disk: " + login.output());
            }
            var reads = BlockReads.read(vm, LoginKey.get().privateKey(), "/", "the local disk");
            marks.put("sshd active", vm.sshdActiveAt(LoginKey.get().privateKey()));
            return new Boot(marks, reads, GuestCpu.fromOutput(login.output()));
        }
    }

    /** The reference disk of {@code image}, and its stock initramfs beside it ({@link #INITRD}), made on first use. */
    static synchronized Path disk(Path projectDir, ImageCache.CachedImage image) throws Exception {
        for (String tool : List.of("mkfs.ext4", "ssh-keygen", "unsquashfs", "chroot", "unshare")) {
            MissingPrerequisite.require(ImageCache.onPath(tool), "the local-disk reference boot needs " + tool + " on the PATH");
        }
        Path disk = image.directory().resolve(DISK);
        Path initrd = image.directory().resolve(INITRD);
        if (Files.exists(disk) && Files.exists(initrd)) {
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
        stockInitramfs(tree, initrd);
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

    /**
     * Makes the image's stock initramfs at {@code initrd}: its own mkinitramfs, run in its tree (a chroot, in a mount
     * namespace of its own for /proc and /dev), with a copy of its configuration from which Tether's hook, boot script
     * and configuration are taken out.
     */
    private static void stockInitramfs(Path tree, Path initrd) throws IOException, InterruptedException {
        // The kernel the image's build made its initramfs for (and whose vmlinuz the build put out).
        String kernel = KernelLocator.locate(tree).version();
        String conf = "tmp/reference-initramfs-conf";
        run(List.of("cp", "-a", tree.resolve(InitramfsIntegration.INITRAMFS_TOOLS_DIR).toString(),
                tree.resolve(conf).toString()));
        for (String tether : InitramfsIntegration.initramfsToolsFiles()) {
            Files.deleteIfExists(tree.resolve(conf).resolve(tether));
        }
        run(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount --bind /proc \"$1/proc\" && mount --bind /dev \"$1/dev\""
                        + " && chroot \"$1\" mkinitramfs -d /" + conf + " -o /tmp/initrd-stock.img \"$2\"",
                "sh", tree.toString(), kernel));
        Files.move(tree.resolve("tmp/initrd-stock.img"), initrd, StandardCopyOption.REPLACE_EXISTING);
        removeTree(tree.resolve(conf));
        System.err.printf(Locale.ROOT, "[LocalDiskReference] made %s, the image's stock initramfs: %d bytes%n", initrd,
                Files.size(initrd));
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Commands.run(command, BUILD_PATIENCE);
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

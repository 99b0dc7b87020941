package dev.tether.e2e.vm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.dev.ImageCache;
import dev.tether.dev.TetherCluster;
import dev.tether.dev.VirtualMachine;
import dev.tether.dev.SoftwareTpm;
import dev.tether.dev.LoginKey;
import dev.tether.operator.Names;
import dev.tether.operator.image.BootOrderConfigMap;
import dev.tether.operator.image.BuildResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * Issue #16, bytes: the boot's own read trace fed back into packing, automatically. A machine boots the image
 * tethered; its agent records the reads of the root image until the node has gone quiet, writes the trace to
 * {@code /run/tether}, and reports the files it read; the operator keeps them with the image and starts a re-pack
 * builder Job, which this test plays by building the image again with the Job's own command (the boot order in
 * place of the mounted ConfigMap). The machine then reboots into the re-packed version. What the edges sent by
 * the ssh login, root image only, is printed for both boots side by side, and each must be within the 15%;
 * the trace is kept in the run directory (the sample trace committed under e2e/src/test/resources/traces comes from
 * here). One edge, so that what it sent is what the node fetched (two edges would also count what one sends the other
 * as its peer).
 */
@Tag("vm")
class BootOrderVmTest {
    private static final String NAMESPACE = ImageCache.NAMESPACE;
    private static final String PROFILE = "e2e";
    private static final String NODE = "vm-001";
    private static final String MAC = "52:54:00:12:34:56";
    private static final Duration BOOT_PATIENCE = Duration.ofMinutes(12);
    /** How much more one boot of the same image may fetch than another (measured: within 1%). */
    private static final long BOOT_TO_BOOT_VARIATION_PERCENT = 5;
    private static final Path PROJECT = Path.of("..").toAbsolutePath().normalize();

    @BeforeAll
    static void requirements() {
        VmRequirements.assumeThisMachineBootsVms();
    }

    @VmTest(minutes = 30)
    void theImageRepackedWithItsFirstBootsTraceIsPublishedAndBootsWithinTheByteTarget() throws Exception {
        LoginKey sshKey = LoginKey.get();
        var image = ImageCache.get(PROJECT);
        Path runDir = Path.of("target", "vm-boot-order").toAbsolutePath();
        ImageCache.removeTree(runDir);
        Files.createDirectories(runDir);
        String imageName = image.image().getMetadata().getName();
        try (var cluster = TetherCluster.start(image, 1, VirtualMachine.freePort(), VirtualMachine.freePort(), runDir)) {
            BuildResult first = image.result();
            cluster.publish(image, first);
            cluster.apply(TetherCluster.profile(PROFILE, image.image(), NodeProfileSpec.ImageMethod.TETHERED, sshKey.publicKey()));
            cluster.apply(TetherCluster.credential(NODE, PROFILE, NAMESPACE, MAC, NodeCredentialSpec.Arming.ONCE));
            Path knownHosts = runDir.resolve("known_hosts");
            Files.writeString(knownHosts, cluster.sshKnownHostsLine().strip() + "\n");

            Fetched fetched1;
            BuildResult repacked;
            try (var tpm = SoftwareTpm.start(runDir.resolve("tpm")); var vm = machine(cluster, runDir, tpm)) {
                System.err.println("[BootOrderVmTest] VM console: " + vm.consoleLog());
                vm.trustHostKeysFrom(knownHosts, NODE + "." + NAMESPACE + ".tether.internal");

                // Boot 1: the image as built, without a boot order.
                fetched1 = rootImageFetchedByLogin(cluster, vm, sshKey, image, first, new TetherCluster.Traffic(0, 0));

                // The agent writes the trace once the node has been quiet for 30 s after the hand-off.
                var files = vm.ssh(sshKey.privateKey(), "timeout 420 sh -c 'until [ -s /run/tether/boot-files.txt ]; do sleep 2;"
                        + " done'; cat /run/tether/root-read-trace.csv", Duration.ofMinutes(8));
                assertThat(files.status()).as(files.output()).isZero();
                Files.writeString(runDir.resolve("sample-boot-read-trace.csv"), files.output());
                var bootFiles = vm.ssh(sshKey.privateKey(), "cat /run/tether/boot-files.txt", Duration.ofMinutes(1));
                Files.writeString(runDir.resolve("boot-files.txt"), bootFiles.output());
                System.err.println("[BootOrderVmTest] trace: " + files.output().lines().count() + " lines, files read: "
                        + bootFiles.output().lines().count());

                // The node reported its files; the operator kept them and started a re-pack Job with them mounted.
                ConfigMap order = TetherCluster.eventually("the image's boot order", () -> cluster.client().configMaps()
                        .inNamespace(NAMESPACE).withName(Names.bootOrderConfigMap(imageName)).get());
                // The list the node sent is the first files of boot-files.txt that fit the node API's 64 KiB.
                assertThat(bootFiles.output()).startsWith(order.getData().get(BootOrderConfigMap.FILES_KEY));
                String repackJob = Names.repackJob(imageName, 1);
                Job job = TetherCluster.eventually("the re-pack Job", () -> cluster.client().batch().v1().jobs()
                        .inNamespace(NAMESPACE).withName(repackJob).get());
                List<String> command = job.getSpec().getTemplate().getSpec().getContainers().getFirst().getCommand();
                assertThat(String.join(" ", command)).contains("--boot-order /etc/tether/boot-order/files");
                Path orderFile = Files.writeString(runDir.resolve("boot-order"), order.getData().get(BootOrderConfigMap.FILES_KEY));
                repacked = ImageCache.repack(PROJECT, image, command, orderFile, "http://127.0.0.1:" + cluster.origin().port());
                assertThat(repacked.bootOrderFiles()).as("files the re-pack placed first").isPositive();
                String bootFilesBefore = cluster.bootFilesVersionOf(PROFILE);
                cluster.finishBuilderJob(NAMESPACE, repackJob, repacked);
                TetherCluster.eventually("the re-packed version published", () -> {
                    DisklessImage current = cluster.client().resources(DisklessImage.class).inNamespace(NAMESPACE)
                            .withName(imageName).get();
                    return repacked.digest().equals(current.getStatus().digest) ? current : null;
                });
                cluster.awaitBootFilesAfter(PROFILE, bootFilesBefore);

                // Boot 2 starts from a power-on, as boot 1 did, so that their times compare: after a reboot this
                // emulator runs slower, whatever it boots (VmBootTest, boot 3). And boot 1's shutdown still reads its
                // own root (the programs that stop its units): those bytes are not the re-packed version's.
                vm.ssh(sshKey.privateKey(), "systemctl poweroff", Duration.ofSeconds(30));
                vm.waitForExit(BOOT_PATIENCE);
            }

            // Boot 2: the re-packed version, on the same TPM, which holds the key boot 1 sealed.
            Fetched fetched2;
            TetherCluster.Traffic before = cluster.traffic(0);
            try (var tpm = SoftwareTpm.start(runDir.resolve("tpm"));
                 var vm = machine(cluster, Files.createDirectories(runDir.resolve("powered-on-again")), tpm)) {
                System.err.println("[BootOrderVmTest] VM console after the power cycle: " + vm.consoleLog());
                vm.trustHostKeysFrom(knownHosts, NODE + "." + NAMESPACE + ".tether.internal");
                fetched2 = rootImageFetchedByLogin(cluster, vm, sshKey, image, repacked, before);
                var booted = vm.ssh(sshKey.privateKey(), "cat /run/tether/boot-timings.json", Duration.ofMinutes(1));
                System.err.println("[BootOrderVmTest] boot 2 timings: " + booted.output().strip());
            }

            String report = String.format(Locale.ROOT, "root image fetched by the login (issue #16 target: at most 15%%),"
                            + " and the requests the edge answered (all of them: iPXE, node API, root image and this test's"
                            + " metrics reads), and power-on to the ssh login (qemu's user network, %d emulated CPUs):%n"
                            + "  as built (mksquashfs order): %s%n  re-packed with the boot order (%d files first): %s%n",
                    VirtualMachine.DEFAULT_CPUS, describe(fetched1, first), repacked.bootOrderFiles(), describe(fetched2, repacked));
            System.err.println("[BootOrderVmTest]\n" + report);
            Files.writeString(runDir.resolve("report.txt"), report);
            assertThat(fetched1.bytes()).as("as built, fetched by the login").isLessThanOrEqualTo(first.rootImageBytes() * 15 / 100);
            assertThat(fetched2.bytes()).as("re-packed, fetched by the login").isLessThanOrEqualTo(repacked.rootImageBytes() * 15 / 100);
            // With 16 KiB chunks a chunk holds little besides what the boot asked for in either order, and the
            // re-pack's gain is about 1% (17.4 and 17.2 MB), less than what a boot reads varies from boot to boot.
            // So the check is that the re-pack costs nothing beyond that variation, not that it always gains.
            assertThat(fetched2.bytes()).as("re-packed boot fetches no more by the login, beyond the boot-to-boot variation")
                    .isLessThanOrEqualTo(fetched1.bytes() + fetched1.bytes() * BOOT_TO_BOOT_VARIATION_PERCENT / 100);
        }
    }

    private static VirtualMachine machine(TetherCluster cluster, Path workDir, SoftwareTpm tpm) throws Exception {
        return VirtualMachine.builder().mac(MAC).workDir(workDir).tpmSocket(tpm.controlSocket()).allowReboot(true)
                .ipxeScript(VirtualMachine.Builder.chainTo(cluster.edgeUrls().getFirst())).start();
    }

    /** Root image bytes the edge sent, the requests it answered (of every kind), and the power-on to the ssh login. */
    private record Fetched(long bytes, long requests, Duration toLogin) {
    }

    /** Waits for the login and returns what the edge sent for the root image, and answered, since {@code before}. */
    private static Fetched rootImageFetchedByLogin(TetherCluster cluster, VirtualMachine vm, LoginKey key,
            ImageCache.CachedImage image, BuildResult build, TetherCluster.Traffic before) throws Exception {
        vm.waitFor("root ready at", BOOT_PATIENCE);
        var login = vm.sshWhenReady(key.privateKey(), "findmnt -n -o FSTYPE /", Duration.ofMinutes(8));
        Duration toLogin = Duration.between(vm.started(), Instant.now());
        assertThat(login.output()).startsWith("overlay");
        TetherCluster.Traffic now = cluster.traffic(0);
        return new Fetched(now.bytesSent() - before.bytesSent() - blobSize(image, build.kernelDigest())
                - blobSize(image, build.initramfsDigest()), now.requests() - before.requests(), toLogin);
    }

    private static String describe(Fetched fetched, BuildResult build) {
        return String.format(Locale.ROOT, "%.1f MB (%.0f%% of %.1f MB), %d requests; ssh login %.1f s after power-on",
                fetched.bytes() / 1e6, 100.0 * fetched.bytes() / build.rootImageBytes(), build.rootImageBytes() / 1e6,
                fetched.requests(), fetched.toLogin().toMillis() / 1000.0);
    }

    private static long blobSize(ImageCache.CachedImage image, String digest) throws java.io.IOException {
        Path blob = image.storeDir().resolve("blobs/sha256/" + digest.substring("sha256:".length()));
        return Files.exists(blob) ? Files.size(blob) : 0;
    }
}

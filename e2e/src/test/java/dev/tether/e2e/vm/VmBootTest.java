package dev.tether.e2e.vm;

import static dev.tether.e2e.vm.VmBoots.awaitBootReport;
import static dev.tether.e2e.vm.VmBoots.bootPhases;
import static dev.tether.e2e.vm.VmBoots.freshDir;
import static dev.tether.e2e.vm.VmBoots.machine;
import static dev.tether.e2e.vm.VmBoots.phases;
import static dev.tether.e2e.vm.VmBoots.startMachine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeCredentialStatus;
import dev.tether.api.v1alpha1.NodeFileTemplate;
import dev.tether.api.v1alpha1.NodeHostname;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.dev.BlockReads;
import dev.tether.dev.BootNetwork;
import dev.tether.dev.GuestCpu;
import dev.tether.dev.ImageCache;
import dev.tether.dev.TetherCluster;
import dev.tether.dev.VirtualMachine;
import dev.tether.dev.SoftwareTpm;
import dev.tether.dev.LocalDiskReference;
import dev.tether.dev.LoginKey;
import dev.tether.dev.AgentOverlay;
import dev.tether.image.format.ImageOptions;
import dev.tether.image.format.RootImageWriter;
import dev.tether.operator.image.BuildResult;
import dev.tether.operator.profile.AddonArchive;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * A real machine boots from Tether. The operator runs against the (mock) Kubernetes API with its node API on
 * loopback; it publishes an encrypted Debian image built by its builder command; two edges serve it. qemu
 * (software emulation) with a swtpm TPM network-boots with iPXE from an edge, which the README's DHCP lines name on a
 * {@link BootNetwork} (qemu's user network where this machine cannot run one), and the image's own initramfs
 * runs the agent: network API key (the credential is armed once) sealed into the TPM, PCR 15 locked, image key
 * from the node API, the root mounted tethered from both edges under a zram overlay, fresh SSH host keys
 * signed by the cluster's SSH CA, then the image's systemd.
 *
 * <p>The same machine then reboots (the key now comes from its TPM), powers off, and is powered on to boot
 * untethered. Then the edges serve it a forged addon archive naming an attacker's CA and node API: the agent must
 * not send its sealed key and stops; with the genuine archive back, the key still comes from the TPM. A second
 * machine, whose credential is disarmed and whose TPM is empty, must stop with a message saying what to do.
 * Timeouts are safety nets against a hung boot, never performance assertions: qemu here emulates the CPU.
 */
@Tag("vm")
class VmBootTest {
    private static final String NAMESPACE = ImageCache.NAMESPACE;
    private static final String PROFILE = "e2e";
    private static final String NODE = "vm-001";
    private static final String MAC = "52:54:00:12:34:56";
    private static final Duration BOOT_PATIENCE = VmBoots.BOOT_PATIENCE;
    /** What edge 1 serves of the read of /usr before it is stopped: early in its part (about 100 MB of this image). */
    private static final long MID_READ_BYTES = 16L << 20;
    private static final Path PROJECT = Path.of("..").toAbsolutePath().normalize();

    @BeforeAll
    static void requirements() {
        VmRequirements.assumeThisMachineBootsVms();
    }

    @VmTest(minutes = 25)
    void aMachineBootsTetheredRebootsWithItsTpmKeyAndBootsUntethered() throws Exception {
        LoginKey sshKey = LoginKey.get();
        var image = ImageCache.get(PROJECT);
        Path runDir = freshDir("vm-boot");
        List<String> report = new ArrayList<>();
        report.add("every machine below, the reference's too: " + VirtualMachine.DEFAULT_CPUS + " emulated CPU"
                + (VirtualMachine.DEFAULT_CPUS == 1 ? "" : "s") + " (TETHER_VM_CPUS)");
        // On a boot network as the README sets one up: the timed boots are a well-configured site's, not qemu's user
        // network's, whose DHCP makes iPXE wait 3.1 s for ProxyDHCP offers at every boot. Without one the boots are
        // tested all the same, and the report says why their times include that wait.
        Optional<String> noBootNetwork = BootNetwork.whyUnavailable();
        noBootNetwork.ifPresent(reason -> {
            report.add("on qemu's user network, not the README's DHCP (" + reason + "): iPXE waits 3.1 s for ProxyDHCP"
                    + " offers at every network boot below");
            System.err.println("[VmBootTest] " + report.getLast());
        });
        // The limit (issue 16): the same image and kernel from a local disk, in the same emulation, with the image's
        // stock initramfs (a Tether initramfs has no disk drivers).
        var reference = LocalDiskReference.boot(PROJECT, image, runDir.resolve("reference"), BOOT_PATIENCE);
        report.add(phases("reference: the same image from a local virtio disk (no network boot, no agent)", reference.marks(),
                "none (no agent)"));
        try (var cluster = TetherCluster.start(image, 2, VirtualMachine.freePort(), VirtualMachine.freePort(), runDir);
             var network = noBootNetwork.isPresent() ? null : BootNetwork.start(PROJECT.resolve("README.md"),
                     host -> cluster.edgeUrls().getFirst(), runDir.resolve("boot-network"))) {
            BuildResult result = AgentOverlay.enabled() ? AgentOverlay.apply(PROJECT, image, cluster.origin(), ImageCache.TOKEN) : image.result();
            cluster.publish(image, result);
            NodeProfile profile = cluster.apply(withNodeIdentity(TetherCluster.profile(PROFILE, image.image(),
                    NodeProfileSpec.ImageMethod.TETHERED, sshKey.publicKey())));
            var credential = TetherCluster.credential(NODE, PROFILE, NAMESPACE, MAC, NodeCredentialSpec.Arming.ONCE);
            credential.getMetadata().setLabels(Map.of("rack", "r12"));
            cluster.apply(credential);
            Path knownHosts = runDir.resolve("known_hosts");
            Files.writeString(knownHosts, cluster.sshKnownHostsLine().strip() + "\n");
            // Edge 1's copy of the first 64 chunks is damaged: the node must notice and read them from edge 0.
            cluster.damageChunks(1, image, result, 0, 63);

            NodeCredential afterFirst;
            NodeCredential afterSecond;
            try (var tpm = SoftwareTpm.start(runDir.resolve("tpm"));
                 var vm = machine(cluster, runDir, MAC, tpm).network(network).allowReboot(true).start()) {
                System.err.println("[VmBootTest] VM console: " + vm.consoleLog() + "  (qemu: " + runDir.resolve("qemu-command.txt") + ")");
                vm.trustHostKeysFrom(knownHosts, NODE + "." + ImageCache.NAMESPACE + ".tether.internal");

                // Boot 1: tethered, the API key from the network while the credential is armed.
                var marks = bootPhases(vm, NODE, vm.started());
                var mounts = checkRoot(vm, sshKey, true);
                marks.put("ssh login", mounts.loggedIn());
                checkNodeIdentity(vm, sshKey);
                long[] sentAtLogin = {cluster.bytesSent(0), cluster.bytesSent(1)};
                marks.put("sshd active", vm.sshdActiveAt(sshKey.privateKey()));
                afterFirst = awaitBootReport(cluster, NODE, null);
                assertThat(afterFirst.getStatus().lastBoot.keySource).as("first boot's key").isEqualTo(NodeCredentialStatus.KeySource.NETWORK);
                assertThat(afterFirst.getStatus().apiKey.issuedVia).isEqualTo(NodeCredentialStatus.KeySource.NETWORK);
                assertThat(afterFirst.getStatus().armed).as("arming: once disarms after the key is fetched").isFalse();
                assertThat(afterFirst.getStatus().lastBoot.digest).isEqualTo(result.digest());
                assertThat(afterFirst.getStatus().lastBoot.phaseMillis).containsKeys("apikey", "image", "overlay", "ssh");
                assertThat(afterFirst.getStatus().hostCertificates).as("host certificates issued").isNotEmpty();
                assertThat(vm.find("tether: .*chunk \\d+ .* failed verification")).as("the damaged chunks were named on the console").isPresent();
                assertThat(afterFirst.getStatus().lastBoot.fetch.integrityFailures).as("damaged answers in the boot report").isPositive();

                // Edge 1 dies while every file under /usr is read: no read error.
                var readAll = CompletableFuture.supplyAsync(() -> sshUnchecked(vm, sshKey,
                        "find /usr -xdev -type f -print0 | xargs -0 cat > /dev/null 2>/tmp/read-errors; echo status=$?; wc -l < /tmp/read-errors; head -5 /tmp/read-errors"));
                // Stopped mid-read: once edge 1 has served a part of it (the read fetches most of the image, about half
                // of it from each edge), not after a fixed time, which under emulation can be before the read began.
                long servedBeforeStop = MID_READ_BYTES + sentAtLogin[1];
                await("edge 1 serving the read of /usr").atMost(Duration.ofMinutes(10))
                        .pollInterval(Duration.ofMillis(500))
                        .until(() -> readAll.isDone() || cluster.bytesSent(1) >= servedBeforeStop);
                assertThat(readAll).as("the read of /usr still running when edge 1 stops (else its stop tests nothing)")
                        .isNotDone();
                long servedAtStop = cluster.bytesSent(1) - sentAtLogin[1];
                cluster.stopEdge(1);
                String readOutput = readAll.get();
                System.err.printf(Locale.ROOT, "[VmBootTest] reading every file under /usr, edge 1 stopped after serving %.1f MiB"
                        + " of it: %s%n", servedAtStop / 1048576.0, readOutput.strip());
                assertThat(readOutput).contains("status=0");
                report.add(phases("boot 1: tethered, key from the network", marks, mounts.timings()));
                report.add(againstReference("boot 1 (tethered)", marks, reference, 1.25));
                report.add(atTheLogin("boot 1 (tethered)", mounts, reference));
                report.add(fetched(cluster, image, result, sentAtLogin));
                report.add(agentMemory(vm, sshKey, afterFirst.getStatus().lastBoot.agentMemory));

                // Boot 2: reboot with the same TPM; the key is unsealed, no network arming; edge 1 still down.
                vm.ssh(sshKey.privateKey(), "systemctl reboot", Duration.ofSeconds(30));
                Instant rebooted = Instant.now();
                var marks2 = bootPhases(vm, NODE, rebooted);
                var mounts2 = checkRoot(vm, sshKey, true);
                marks2.put("ssh login", mounts2.loggedIn());
                marks2.put("sshd active", vm.sshdActiveAt(sshKey.privateKey()));
                afterSecond = awaitBootReport(cluster, NODE, afterFirst.getStatus().lastBoot.bootedAt);
                assertThat(afterSecond.getStatus().lastBoot.keySource).as("second boot's key").isEqualTo(NodeCredentialStatus.KeySource.TPM);
                assertThat(afterSecond.getStatus().apiKey.issueCount).as("no second key issued").isEqualTo(afterFirst.getStatus().apiKey.issueCount);
                report.add(phases("boot 2: tethered after a reboot, key from the TPM, one edge down", marks2, mounts2.timings()));

                // Boot 3 is timed from a power-on, as the reference is: the machine powers off here and a new qemu
                // starts it on the same TPM state. A machine this emulator has run an operating system on boots slower
                // after a reset, whatever it boots: the reference's own second boot after a reset reached its kernel
                // after 7.0 s instead of 3.7 and its login prompt after 32.5 s instead of 26.1 (2026-12-04), and after
                // every reboot here iPXE's download of the initramfs stalls at 13-14% for 6-19 s, the edge sending and
                // the machine acknowledging seconds apart with no other traffic on its network (a capture of its
                // netdev). Boot 2 keeps the reboot: there the path is tested, not timed against the reference.
                vm.ssh(sshKey.privateKey(), "systemctl poweroff", Duration.ofSeconds(30));
                vm.waitForExit(BOOT_PATIENCE);
            }

            // Boot 3: the profile switches to untethered; both edges serve again (edge 1 checks its cache as it
            // starts).
            cluster.startEdge(1);
            profile.getSpec().imageMethod = NodeProfileSpec.ImageMethod.UNTETHERED;
            cluster.apply(profile);
            try (var tpm = SoftwareTpm.start(runDir.resolve("tpm"));
                 var vm = machine(cluster, Files.createDirectories(runDir.resolve("powered-on-again")), MAC, tpm)
                         .network(network).allowReboot(true).start()) {
                System.err.println("[VmBootTest] VM console after the power cycle: " + vm.consoleLog());
                vm.trustHostKeysFrom(knownHosts, NODE + "." + ImageCache.NAMESPACE + ".tether.internal");
                var marks3 = bootPhases(vm, NODE, vm.started());
                var mounts3 = checkRoot(vm, sshKey, false);
                marks3.put("ssh login", mounts3.loggedIn());
                marks3.put("sshd active", vm.sshdActiveAt(sshKey.privateKey()));
                // The node booted from the edges while the agent copied the image into RAM behind it; the report follows
                // the copy.
                NodeCredential afterThird = awaitBootReport(cluster, NODE, afterSecond.getStatus().lastBoot.bootedAt,
                        BOOT_PATIENCE);
                report.add(untethered(vm, sshKey));
                assertThat(afterThird.getStatus().lastBoot.keySource).isEqualTo(NodeCredentialStatus.KeySource.TPM);
                // Edge 1 checked its cached copy when it started again, dropped the damaged one and filled it anew.
                assertThat(afterThird.getStatus().lastBoot.fetch.integrityFailures).as("edge 1's copy, repaired at its restart").isZero();
                assertThat(afterThird.getStatus().lastBoot.fetch.bytes).as("the whole image downloaded").isGreaterThanOrEqualTo(result.rootImageBytes() - 4096);
                report.add(phases("boot 3: untethered, key from the TPM", marks3, mounts3.timings()));
                report.add(againstReference("boot 3 (untethered)", marks3, reference, 1.5));
                report.add(atTheLogin("boot 3 (untethered)", mounts3, reference));

                // Boot 4: the edges serve a forged addon archive that names an attacker's CA and node API (issue
                // #13). The sealed key must not leave the TPM; the credential is disarmed (arming: once), so the
                // boot stops saying what happened.
                try (var attacker = AttackerNodeApi.start(cluster.client())) {
                    cluster.serveForgedAddon(PROFILE, AddonArchive.build(NAMESPACE, PROFILE, "untethered", "preferred",
                            result.digest(), cluster.edgeUrls(), List.of(attacker.urlFrom(vm)), attacker.caPem()));
                    int linesBefore = vm.lines().size();
                    vm.ssh(sshKey.privateKey(), "systemctl reboot", Duration.ofSeconds(30));
                    var mismatch = vm.waitFor("tether: .*is not the CA this node enrolled with", BOOT_PATIENCE);
                    var stop = vm.waitFor("tether: error: .*", BOOT_PATIENCE);
                    System.err.println("[VmBootTest] forged addon: " + mismatch.text() + "\n  " + stop.text());
                    assertThat(attacker.authorizations).as("the attacker received no key").isEmpty();
                    var forgedBoot = vm.lines().subList(linesBefore, vm.lines().size());
                    assertThat(forgedBoot).as("no root from a forged addon").noneMatch(l -> l.text().contains("root ready at"));
                }
                cluster.restoreBootFiles();
                vm.reset();

                // Boot 5: the genuine addon again; the key the forged boot did not get is still in the TPM.
                bootPhases(vm, NODE, Instant.now());
                checkRoot(vm, sshKey, false);
                NodeCredential afterFifth = awaitBootReport(cluster, NODE, afterThird.getStatus().lastBoot.bootedAt,
                        BOOT_PATIENCE);
                assertThat(afterFifth.getStatus().lastBoot.keySource).as("the key after a forged addon")
                        .isEqualTo(NodeCredentialStatus.KeySource.TPM);
                assertThat(afterFifth.getStatus().apiKey.issueCount).as("no key issued since the first boot")
                        .isEqualTo(afterFirst.getStatus().apiKey.issueCount);
            }
        } finally {
            String text = String.join("\n", report);
            System.err.println("[VmBootTest]\n" + text);
            Files.writeString(runDir.resolve("report.txt"), text + "\n");
        }
    }

    @VmTest(minutes = 8)
    void aDisarmedCredentialOnAMachineWithAnEmptyTpmStopsWithAMessageSayingWhatToDo() throws Exception {
        var image = ImageCache.get(PROJECT);
        Path runDir = freshDir("vm-boot-disarmed");
        String node = "vm-002";
        String mac = "52:54:00:12:34:57";
        try (var cluster = TetherCluster.start(image, 2, VirtualMachine.freePort(), VirtualMachine.freePort(), runDir)) {
            publishForOneMachine(cluster, image, node, mac, NodeCredentialSpec.Arming.DISARMED);
            try (var tpm = SoftwareTpm.start(runDir.resolve("tpm")); var vm = startMachine(cluster, runDir, mac, tpm)) {
                // The pattern reaches the end of the message, so the whole line has arrived when it matches.
                var refusal = vm.waitFor("tether: error: .*NodeCredential .*" + node + " is disarmed.*nodecredential " + node
                        + " tether.dev/rearm=.*reboot the node", BOOT_PATIENCE);
                System.err.println("[VmBootTest] disarmed machine: " + refusal.text());
                assertThat(refusal.text()).contains("kubectl annotate -n " + NAMESPACE + " nodecredential " + node + " tether.dev/rearm=");
                assertThat(vm.find("root ready at")).as("no root without a key").isEmpty();
            }
        }
    }

    /**
     * An edge that serves its own unencrypted container under the encrypted image's URL (its chunks carry hashes
     * it computed itself) must not get the machine to boot it: the agent holds the header to the manifest's pins
     * and stops, naming the edges and what differs. Every edge does so here, so none is left to read from.
     */
    @VmTest(minutes = 8)
    void aMachineServedAnUnencryptedContainerUnderTheImagesUrlRefusesIt() throws Exception {
        var image = ImageCache.get(PROJECT);
        Path runDir = freshDir("vm-boot-foreign");
        String node = "vm-003";
        String mac = "52:54:00:12:34:58";
        try (var cluster = TetherCluster.start(image, 2, VirtualMachine.freePort(), VirtualMachine.freePort(), runDir)) {
            BuildResult result = publishForOneMachine(cluster, image, node, mac, NodeCredentialSpec.Arming.ONCE);
            Path plain = runDir.resolve("foreign.sfs");
            byte[] bytes = new byte[4 << 20];
            new Random(13).nextBytes(bytes);
            Files.write(plain, bytes);
            Path foreign = runDir.resolve("foreign.img");
            RootImageWriter.writeFile(plain, foreign, ImageOptions.unencrypted());
            for (int edge = 0; edge < cluster.edgeCount(); edge++) {
                cluster.serveForeignRootImage(edge, image, result, foreign);
            }
            try (var tpm = SoftwareTpm.start(runDir.resolve("tpm")); var vm = startMachine(cluster, runDir, mac, tpm)) {
                // The pattern reaches the end of the message, so the whole line has arrived when it matches.
                var refusal = vm.waitFor("tether: error: image failed: no edge serves the header of root image .*cipher"
                        + " NONE\\+SHA-256 where the manifest pins AES-256-GCM.*and boot again", BOOT_PATIENCE);
                System.err.println("[VmBootTest] machine served a foreign container: " + refusal.text());
                assertThat(refusal.text().split(": cipher NONE\\+SHA-256", -1)).as("every edge named").hasSize(cluster.edgeCount() + 1);
                assertThat(vm.find("mounted image")).as("nothing read past the header").isEmpty();
                assertThat(vm.find("root ready at")).as("no root from a foreign container").isEmpty();
            }
        }
    }

    /**
     * Once an untethered node's image is in RAM: its squashfs reads the copy in the RAM disk, and nothing of the agent
     * is left (no FUSE mount, no runtime mount, no process). Returns the report's line on the copy.
     */
    private static String untethered(VirtualMachine vm, LoginKey key) throws Exception {
        // tether-agent[.]jar: a pattern that does not match this command's own shell.
        var look = vm.ssh(key.privateKey(), "timeout 120 sh -c 'while pgrep -f \"tether-agent[.]jar\" >/dev/null; do sleep 1; done';"
                + " loop=$(findmnt -n -o SOURCE /run/tether/lower); cat /sys/block/${loop#/dev/}/loop/backing_file;"
                // The agent's FUSE file is a fuse.tether mount; systemd's fusectl at /sys/fs/fuse/connections is not one.
                + " awk '$3 == \"fuse\" || $3 ~ /^fuse[.]/ {f++} $2 ~ /agent-runtime/ {r++} END {printf \"fuse mounts %d, runtime mounts %d\\n\", f, r}'"
                + " /proc/mounts; pgrep -f 'tether-agent[.]jar' || echo no agent", Duration.ofMinutes(3));
        System.err.println("[VmBootTest] untethered, after the copy:\n" + look.output().strip());
        assertThat(look.output().strip().lines().toList()).as(look.output()).containsExactly(
                "/run/tether/image/root.sfs", "fuse mounts 0, runtime mounts 0", "no agent");
        String copied = vm.find("tether: untethered: the root image is in RAM.*").map(line -> line.text())
                .orElseThrow(() -> new AssertionError("no console line on the copy in RAM"));
        return "boot 3 (untethered): " + copied.substring(copied.indexOf("untethered:"));
    }

    /**
     * @param loggedIn when the first ssh command succeeded: the boot's end, as {@link LocalDiskReference} marks it (the
     *     checks after it, which wait for multi-user.target, are not part of the boot time)
     * @param timings  the agent's step timings, and on a line of its own the agent's CPU time and systemd's account
     * @param lowerReads what the squashfs had read through its loop device right after that first ssh command
     *     (tethered, each read one FUSE request to the agent; untethered, reads of the RAM disk's file)
     * @param cpu      the machine's CPU account at that first ssh command
     */
    private record RootCheck(Instant loggedIn, String timings, BlockReads lowerReads, GuestCpu cpu) {
    }

    /** The cached image published, the tethered test profile, and one machine's credential; the build result. */
    private static BuildResult publishForOneMachine(TetherCluster cluster, ImageCache.CachedImage image, String node, String mac,
            NodeCredentialSpec.Arming arming) throws Exception {
        BuildResult result = AgentOverlay.enabled() ? AgentOverlay.apply(PROJECT, image, cluster.origin(), ImageCache.TOKEN) : image.result();
        cluster.publish(image, result);
        cluster.apply(TetherCluster.profile(PROFILE, image.image(), NodeProfileSpec.ImageMethod.TETHERED, LoginKey.get().publicKey()));
        cluster.apply(TetherCluster.credential(node, PROFILE, NAMESPACE, mac, arming));
        return result;
    }

    /** The profile's host name (the node's name, in the cluster.example domain) and one node file from the credential. */
    private static NodeProfile withNodeIdentity(NodeProfile profile) {
        profile.getSpec().hostname = new NodeHostname(NodeHostname.Source.NODE_NAME, "cluster.example");
        profile.getSpec().nodeFiles = List.of(new NodeFileTemplate("/etc/tether-node.conf",
                "NodeName={{hostname}} fqdn={{fqdn}} rack={{labels.rack}} macs={{#macs}}{{.}}{{^-last}},{{/-last}}{{/macs}}\n"));
        return profile;
    }

    /** The booted node calls itself by its node name, not the image's ("vm"), and has its rendered file. */
    private static void checkNodeIdentity(VirtualMachine vm, LoginKey key) throws Exception {
        var look = vm.ssh(key.privateKey(), "hostname; hostname -f; cat /etc/tether-node.conf; grep '^127.0.1.1' /etc/hosts;"
                + " stat -c '%a %U:%G' /etc/tether-node.conf", Duration.ofMinutes(1));
        System.err.println("[VmBootTest] node identity over ssh:\n" + look.output().strip());
        assertThat(look.status()).as(look.output()).isZero();
        assertThat(look.output().lines().toList()).containsExactly(
                NODE,
                NODE + ".cluster.example",
                "NodeName=" + NODE + " fqdn=" + NODE + ".cluster.example rack=r12 macs=" + MAC,
                "127.0.1.1\t" + NODE + ".cluster.example " + NODE,
                "644 root:root");
        assertThat(vm.find("tether: node files written: /etc/tether-node.conf")).isPresent();
        assertThat(vm.find("tether: host name " + NODE + " \\(" + NODE + "\\.cluster\\.example\\)")).isPresent();
    }

    /**
     * Logs in with strict host key checking against the cluster's SSH CA only, and checks the root: an overlay
     * on zram/xfs over the squashfs, tethered (FUSE) or in RAM (tmpfs), with ssh and multi-user active.
     */
    private static RootCheck checkRoot(VirtualMachine vm, LoginKey key, boolean tethered) throws Exception {
        var findmnt = vm.sshWhenReady(key.privateKey(), GuestCpu.after("findmnt -n -o FSTYPE,SOURCE,OPTIONS /"),
                Duration.ofMinutes(5));
        Instant loggedIn = Instant.now();
        assertThat(findmnt.status()).as(findmnt.output()).isZero();
        assertThat(GuestCpu.commandOutput(findmnt.output())).startsWith("overlay");
        var lowerReads = BlockReads.read(vm, key.privateKey(), "/run/tether/lower", "the squashfs's loop device");
        var look = vm.ssh(key.privateKey(), "cat /proc/mounts; echo ---; cat /run/tether/boot-timings.json; echo;"
                // sshd answers before systemd has reached multi-user; give it the time it needs.
                + " echo ---; timeout 300 sh -c 'until systemctl is-active -q multi-user.target; do sleep 2; done';"
                + " systemctl is-active ssh.service multi-user.target;"
                + " echo ---; head -c 1 /proc/$(pgrep -f -o tether-agent.jar)/cmdline; echo;"
                // Where the emulated CPUs went: the agent's share of them, and systemd's own account of the boot.
                + " echo ---; pid=$(pgrep -f -o tether-agent.jar); if [ -n \"$pid\" ]; then t=$(getconf CLK_TCK);"
                + " awk -v t=$t '{printf \"agent CPU %.1f s (user %.1f, system %.1f)\", ($14 + $15) / t, $14 / t, $15 / t}'"
                + " /proc/$pid/stat; else printf 'no agent running'; fi;"
                + " awk '{printf \" when multi-user.target was active, %.1f s after the kernel started; \", $1}' /proc/uptime;"
                + " systemd-analyze time | head -1;"
                // The agent's threads by name (the JIT compilers, the FUSE loop, the fetches' carriers...); threads that
                // ended count in the total only, and so does one that ends while it is looked at (idle read-run threads do).
                + " [ -n \"$pid\" ] && printf 'agent CPU by thread, 0.1 s or more: ' && for task in /proc/$pid/task/*; do"
                + " comm=$(cat $task/comm 2>/dev/null) && stat=$(sed 's/.*) //' $task/stat 2>/dev/null) &&"
                + " printf '%s=%s\\n' \"$comm\" \"$(echo \"$stat\" | cut -d' ' -f12,13)\"; done"
                + " | awk -F= -v t=$t '{split($2, f, \" \"); a[$1] += f[1] + f[2]}"
                + " END {for (k in a) if (a[k] >= t / 10) printf \"%.1f s %s\\n\", a[k] / t, k}' | sort -rn | tr '\\n' ';'",
                Duration.ofMinutes(7));
        String[] parts = look.output().split("---\n");
        assertThat(parts).as(look.output()).hasSize(5);
        String procMounts = parts[0];
        assertThat(procMounts).containsPattern("(?m)^overlay / overlay .*lowerdir=/run/tether/lower");
        assertThat(procMounts).containsPattern("(?m)^/dev/loop\\d+ /run/tether/lower squashfs ro");
        assertThat(procMounts).containsPattern("(?m)^/dev/zram\\d+ \\S+ xfs .*discard");
        assertThat(procMounts).containsPattern(tethered ? "(?m)^\\S+ /run/tether/image fuse" : "(?m)^\\S+ /run/tether/image tmpfs");
        assertThat(parts[2].strip().lines()).as("ssh and multi-user active").containsExactly("active", "active");
        if (tethered) {
            // The agent serving the root survived the switch and is marked for systemd-shutdown to spare it.
            assertThat(parts[3].strip()).as("first byte of the agent's argv[0]").isEqualTo("@");
        }
        return new RootCheck(loggedIn, parts[1].strip() + "\n  " + parts[4].strip(), lowerReads,
                GuestCpu.fromOutput(findmnt.output()));
    }

    private static String sshUnchecked(VirtualMachine vm, LoginKey key, String command) {
        try {
            return vm.ssh(key.privateKey(), command, Duration.ofMinutes(30)).output();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Issue #16: what the tethered agent costs the booted node, as its boot report said and as its /proc says after
     * all of /usr was read: resident memory, and the initramfs files it keeps alive (deleted, still mapped or open).
     */
    private static String agentMemory(VirtualMachine vm, LoginKey key, NodeCredentialStatus.AgentMemory reported) {
        // Right after the reads, then once the JIT compiler's scratch memory went back (the launcher's
        // -XX:TrimNativeHeapInterval; AgentBundleTest waits for the same): the settled figure is what the node pays
        // for as long as it runs. There is no event for it, and under emulation the compiler works on for a while, so
        // anonymous memory is polled for a minute and its lowest value kept.
        String measured = sshUnchecked(vm, key, "pid=$(pgrep -o -f tether-agent.jar); grep -E '^(VmRSS|RssAnon|RssShmem):'"
                + " /proc/$pid/status | tr -s ' \\t' ' ' | tr '\\n' ';'; low=999999999; i=0; while [ $i -lt 20 ]; do"
                + " sleep 3; now=$(awk '/^RssAnon:/ {print $2}' /proc/$pid/status); [ \"$now\" -lt \"$low\" ] && low=$now;"
                + " i=$((i + 1)); done; printf ' lowest within a minute: RssAnon %d kB;' \"$low\";"
                + " for f in /proc/$pid/map_files/* /proc/$pid/fd/*; do"
                + " t=$(readlink $f); case $t in *'(deleted)') echo \"$(stat -L -c %s $f) $t\";; esac; done | sort -u -k2"
                + " | awk '{s+=$1; n++} END {printf \" held deleted files: %d, %.1f MiB\", n, s/1048576}';"
                // Where the anonymous memory lies, largest first: the heap, code cache, metaspace and class space are
                // one mapping each of their reserved size, glibc's malloc arenas 64 MiB mappings, thread stacks 512k.
                + " printf '; anonymous kB by mapping (kB mapped):'; awk '/^[0-9a-f]+-[0-9a-f]+ / {name = NF > 5 ? $6 : \"anon\"}"
                + " /^Size:/ {size = $2} /^Anonymous:/ {if ($2 > 0) print $2, size, name}' /proc/$pid/smaps | sort -rn | head -12"
                + " | awk '{printf \" %s (%s %s)\", $1, $2, $3}'");
        return "agent memory (issue #16: at most 96 MiB): boot report "
                + (reported == null ? "none" : String.format(java.util.Locale.ROOT, "%.1f MiB (anonymous %.1f, files %.1f, chunk cache %.1f)",
                        reported.totalBytes / 1048576.0, reported.anonymousBytes / 1048576.0, reported.fileBytes / 1048576.0,
                        reported.chunkCacheBytes / 1048576.0))
                + "; after reading /usr: " + measured.strip();
    }

    /** Time to the ssh login against the local-disk reference's, with the issue's bound (reported, not asserted). */
    private static String againstReference(String title, Map<String, Instant> marks, LocalDiskReference.Boot reference,
            double bound) {
        double boot = Duration.between(marks.get("start"), marks.get("ssh login")).toMillis() / 1000.0;
        double limit = reference.secondsTo("ssh login");
        return String.format(Locale.ROOT, "%s: power-on to ssh login %.1f s against the local disk's %.1f s: %.2fx (target at most"
                + " %.2fx)%n", title, boot, limit, boot / limit, bound);
    }

    /**
     * The root's reads at the ssh login, and where the machine's CPU time had gone by then, side by side with the local
     * disk's (reported, not asserted).
     */
    private static String atTheLogin(String title, RootCheck check, LocalDiskReference.Boot reference) {
        return title + ", the root's reads at the ssh login: " + check.lowerReads().describe() + "; the reference: "
                + reference.rootReads().describe() + "\n" + title + ", CPU at the ssh login: " + check.cpu().describe()
                + "; the reference: " + reference.cpu().describe() + "\n";
    }

    private static String fetched(TetherCluster cluster, ImageCache.CachedImage image, BuildResult result, long[] sentAtLogin) throws Exception {
        long bootFiles = blobSize(image, result.kernelDigest()) + blobSize(image, result.initramfsDigest());
        long atLogin = sentAtLogin[0] + sentAtLogin[1];
        long total = cluster.bytesSent(0) + cluster.bytesSent(1);
        return String.format(Locale.ROOT, "boot 1 bytes: edges sent %,d + %,d by the ssh login; kernel + initramfs %,d; root image %,d;"
                        + " root image fetched by the login about %,d (%.0f%%), after reading /usr about %,d (%.0f%%)%n",
                sentAtLogin[0], sentAtLogin[1], bootFiles, result.rootImageBytes(), atLogin - bootFiles,
                100.0 * (atLogin - bootFiles) / result.rootImageBytes(), total - bootFiles, 100.0 * (total - bootFiles) / result.rootImageBytes());
    }

    private static long blobSize(ImageCache.CachedImage image, String digest) throws java.io.IOException {
        Path blob = image.storeDir().resolve("blobs/sha256/" + digest.substring("sha256:".length()));
        return Files.exists(blob) ? Files.size(blob) : 0;
    }
}

package dev.tether.e2e.vm;

import static dev.tether.e2e.vm.VmBoots.awaitBootReport;
import static dev.tether.e2e.vm.VmBoots.bootPhases;
import static dev.tether.e2e.vm.VmBoots.freshDir;
import static dev.tether.e2e.vm.VmBoots.phases;
import static dev.tether.e2e.vm.VmBoots.startMachine;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageSpec;
import dev.tether.api.v1alpha1.Distribution;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.dev.ImageCache;
import dev.tether.dev.LoginKey;
import dev.tether.dev.SoftwareTpm;
import dev.tether.dev.TetherCluster;
import dev.tether.dev.VirtualMachine;
import dev.tether.imgutil.fixture.DebianOciImage;
import dev.tether.imgutil.fixture.DebianTreeFixture;
import dev.tether.imgutil.fixture.LocalRegistry;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * A machine boots an image that comes from an OCI registry (issue #17): a Debian bookworm image made from a debootstrap
 * tree (kernel, initramfs-tools, sshd) with a layer that deletes a file, pushed to Debian's docker-registry on loopback,
 * which wants a password. The DisklessImage names it ({@code distribution: oci}) with a pull Secret; the build runs as
 * the builder Job runs it (imgutil run-spec, the Secret mounted), D-Bus and the tools of the other VM tests' image
 * installed with the image's own apt-get. The operator publishes it and records the digest of the manifest the
 * registry serves; the machine boots it as VmBootTest's first boot does, and over ssh, the host key checked against
 * the cluster's SSH CA only, shows the layers applied and calls itself by its node name.
 */
@Tag("vm")
class VmOciImageTest {
    private static final String NAMESPACE = ImageCache.NAMESPACE;
    private static final String PROFILE = "e2e";
    private static final String NODE = "oci-001";
    private static final String MAC = "52:54:00:12:34:60";
    private static final String PULL_SECRET = "registry-credentials";
    private static final Path PROJECT = Path.of("..").toAbsolutePath().normalize();

    @BeforeAll
    static void requirements() {
        VmRequirements.assumeThisMachineBootsVms();
        LocalRegistry.assumeToolsInstalled();
    }

    // The boot takes about 5 minutes here; the OCI image's build (about 5 more) is not the one CiDeadline allows for.
    @VmTest(minutes = 10)
    void aMachineBootsAnImageBuiltFromAnOciImageInAPasswordProtectedRegistry() throws Exception {
        LoginKey sshKey = LoginKey.get();
        Path runDir = freshDir("vm-oci");
        List<String> report = new ArrayList<>();
        try (var registry = LocalRegistry.start(runDir.resolve("registry"))) {
            String reference = registry.push(DebianOciImage.cached(), "tether/debian:bookworm");
            String pushed = registry.manifestDigest(reference);
            report.add("pushed " + reference + ": skopeo inspect shows digest " + pushed);
            Instant buildStarted = Instant.now();
            var image = ImageCache.get(PROJECT, ociImage(reference),
                    new ImageCache.OciSource(registry.address(), pushed, registry.pullSecretDir()));
            report.add(String.format(Locale.ROOT, "image: %s in %.0f s (imgutil run-spec, or the cache), root image %,d bytes",
                    image.directory(), Duration.between(buildStarted, Instant.now()).toMillis() / 1000.0, image.result().rootImageBytes()));

            try (var cluster = TetherCluster.start(image, 2, VirtualMachine.freePort(), VirtualMachine.freePort(), runDir)) {
                cluster.client().resource(pullSecret(registry)).create();
                DisklessImage published = cluster.publish(image, image.result());
                report.add("status.sourceDigest " + published.getStatus().sourceDigest);
                assertThat(published.getStatus().sourceDigest).as("the manifest digest the registry serves").isEqualTo(pushed);
                cluster.apply(TetherCluster.profile(PROFILE, image.image(), NodeProfileSpec.ImageMethod.TETHERED, sshKey.publicKey()));
                cluster.apply(TetherCluster.credential(NODE, PROFILE, NAMESPACE, MAC, NodeCredentialSpec.Arming.ONCE));
                Path knownHosts = runDir.resolve("known_hosts");
                Files.writeString(knownHosts, cluster.sshKnownHostsLine().strip() + "\n");

                try (var tpm = SoftwareTpm.start(runDir.resolve("tpm")); var vm = startMachine(cluster, runDir, MAC, tpm)) {
                    System.err.println("[VmOciImageTest] VM console: " + vm.consoleLog());
                    vm.trustHostKeysFrom(knownHosts, NODE + "." + NAMESPACE + ".tether.internal");
                    var marks = bootPhases(vm, NODE, vm.started());
                    var look = vm.sshWhenReady(sshKey.privateKey(), "hostname; cat /etc/debian_version;"
                            + " for f in " + DebianOciImage.DELETED_FILE + " " + DebianOciImage.DELETED_DIRECTORY + " /usr/share/doc/dpkg;"
                            + " do test -e $f && echo \"$f present\" || echo \"$f absent\"; done;"
                            + " findmnt -n -o FSTYPE /; timeout 300 sh -c 'until systemctl is-active -q multi-user.target; do sleep 2; done';"
                            + " systemctl is-active ssh.service dbus.service; echo ---; cat /run/tether/boot-timings.json",
                            Duration.ofMinutes(7));
                    marks.put("ssh login", Instant.now());
                    System.err.println("[VmOciImageTest] the booted node over ssh:\n" + look.output().strip());
                    assertThat(look.status()).as(look.output()).isZero();
                    String[] parts = look.output().split("---\n");
                    assertThat(parts[0].lines().toList()).as("host name, the image's files, the root, services").containsExactly(
                            NODE,
                            Files.readString(DebianTreeFixture.cachedTree().resolve("etc/debian_version")).strip(),
                            DebianOciImage.DELETED_FILE + " absent",
                            DebianOciImage.DELETED_DIRECTORY + " absent",
                            "/usr/share/doc/dpkg present",
                            "overlay",
                            "active",
                            "active");

                    NodeCredential booted = awaitBootReport(cluster, NODE, null);
                    assertThat(booted.getStatus().lastBoot.digest).as("the image built from the OCI image").isEqualTo(image.result().digest());
                    report.add(phases("tethered boot of the OCI-sourced image", marks, parts[1].strip()));
                }
            }
        } finally {
            String text = String.join("\n", report);
            System.err.println("[VmOciImageTest]\n" + text);
            Files.writeString(runDir.resolve("report.txt"), text + "\n");
        }
    }

    /**
     * The DisklessImage: the registry's image with the pull Secret, plus what the other VM tests' image has beyond a
     * bootable Debian (sshd enabled, and D-Bus, so systemd-logind acts on the power button), nothing test-only.
     */
    private static DisklessImage ociImage(String reference) {
        var image = new DisklessImage();
        image.getMetadata().setName("bookworm-oci");
        image.getMetadata().setNamespace(NAMESPACE);
        var spec = new DisklessImageSpec();
        spec.distribution = Distribution.OCI;
        spec.source = new DisklessImageSpec.OciSource(reference, PULL_SECRET);
        spec.source.insecure = true;  // the loopback registry speaks plain HTTP
        spec.packages = new ArrayList<>(List.of("iproute2", "procps", "dbus"));
        spec.steps = new ArrayList<>(List.of(new DisklessImageSpec.Step("enable-sshd", "systemctl enable ssh")));
        image.setSpec(spec);
        return image;
    }

    /** The pull Secret as {@code kubectl create secret docker-registry} makes it. */
    private static Secret pullSecret(LocalRegistry registry) {
        return new SecretBuilder().withNewMetadata().withName(PULL_SECRET).withNamespace(NAMESPACE).endMetadata()
                .withType("kubernetes.io/dockerconfigjson")
                .addToData(".dockerconfigjson", Base64.getEncoder().encodeToString(registry.dockerConfigJson().getBytes(StandardCharsets.UTF_8)))
                .build();
    }
}

package dev.tether.dev;

import com.marcnuri.helm.Helm;
import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ./tether-dev up}: watch Tether boot a machine, with one command.
 *
 * <p>Without a kubeconfig everything runs on this machine: an in-memory Kubernetes API, the operator and its
 * node API, an origin and two edges; the sample image is built (once; cached), published by the operator, and
 * a VM (qemu, with a software TPM) network-boots from the edges with its console shown here. At the end the
 * ssh command to log in is printed; Ctrl-C stops it all.
 *
 * <p>With {@code --kubeconfig FILE} the chart is installed into that cluster and the samples applied, and the
 * image build, its publication and the edges are followed until they are ready.
 */
@Command(name = "tether-dev", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = "Watch Tether boot a machine, with one command.",
        subcommands = {TetherDev.Up.class, TetherDev.Timeline.class})
public final class TetherDev implements Runnable {
    private static final String NODE = "vm-001";
    private static final String MAC = "52:54:00:12:34:56";
    private static final int STEPS = 6;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new TetherDev())
                .setExecutionExceptionHandler((e, commandLine, parsed) -> {
                    if (e instanceof MissingPrerequisite missing) {
                        commandLine.getErr().println("tether-dev: cannot run here: " + missing.getMessage());
                        return 2;
                    }
                    throw e;
                })
                .execute(args));
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "say what to do: up or timeline");
    }

    @Command(name = "up", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
            description = {"Without --kubeconfig: an in-memory Kubernetes API, the operator, an origin, two edges and a VM"
                    + " with a software TPM, all on this machine (root); the VM network-boots and the ssh command to log in is"
                    + " printed. Ctrl-C stops it all.",
                    "With --kubeconfig: the chart is installed into that cluster, the samples applied, and the image build"
                            + " and the edges followed until they are ready."})
    static final class Up implements Callable<Integer> {
        @Option(names = "--untethered", description = "The VM's root downloaded into RAM instead of read on demand.")
        boolean untethered;

        @Option(names = "--kubeconfig", paramLabel = "FILE", description = "Install into this cluster instead.")
        Path kubeconfig;

        @Option(names = "--install", description = "Install the Debian packages this machine lacks (apt-get) instead of"
                + " printing the command that does.")
        boolean install;

        @Override
        public Integer call() throws Exception {
            Path project = TetherCluster.repositoryRoot();
            if (kubeconfig != null) {
                return installIntoCluster(project, kubeconfig);
            }
            MissingPrerequisite.require(ImageCache.isRoot(),
                    "run as root: building the image and booting the VM need mounts, namespaces and addresses on lo");
            Set<String> missing = Prerequisites.missingPackages(Prerequisites.LOCAL_BOOT);
            if (!missing.isEmpty()) {
                if (!install) {
                    throw new MissingPrerequisite("this machine lacks " + String.join(", ", missing) + "; install them with: "
                            + Prerequisites.instructions(missing) + " (or run ./tether-dev up --install)");
                }
                System.out.println("tether-dev: installing " + String.join(", ", missing));
                Prerequisites.install(missing);
            }
            runLocally(project, untethered);
            return 0;
        }
    }

    private static void runLocally(Path project, boolean untethered) throws Exception {
        step(1, "Building the sample image (Debian bookworm + sshd) as the builder Job would; 10-15 min the first time, then cached in "
                + ImageCache.CACHE_ROOT);
        var image = ImageCache.get(project);
        var sshKey = LoginKey.get();
        Path runDir = Files.createDirectories(project.resolve("dev/target/run"));
        step(2, "Starting an in-memory Kubernetes API, the operator with its node API, an origin and two edges");
        var cluster = TetherCluster.start(image, 2, VirtualMachine.freePort(), VirtualMachine.freePort(), runDir);
        List<AutoCloseable> running = new CopyOnWriteArrayList<>(List.of(cluster));
        // Ctrl-C: stop the VM, the TPM and the cluster (which takes the edges' addresses off lo), newest first.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("tether-dev: stopping");
            for (AutoCloseable part : running.reversed()) {
                try {
                    part.close();
                } catch (Exception e) {
                    System.err.println("tether-dev: stopping " + part + " failed: " + e);
                }
            }
        }, "tether-dev-stop"));
        step(3, "Publishing the image through the operator (DisklessImage " + ImageCache.NAMESPACE + "/" + ImageCache.IMAGE_NAME + ")");
        DisklessImage published = cluster.publish(image, image.result());
        System.out.println("  published " + published.getStatus().shortDigest + " (" + published.getStatus().size + ", kernel "
                + published.getStatus().kernelVersion + "), encrypted with the key in Secret " + published.getStatus().versions.getFirst().keySecret);
        step(4, "Applying NodeProfile 'dev' (" + (untethered ? "untethered" : "tethered") + ", TPM required) and NodeCredential " + NODE + " (armed once)");
        var method = untethered ? NodeProfileSpec.ImageMethod.UNTETHERED : NodeProfileSpec.ImageMethod.TETHERED;
        cluster.apply(TetherCluster.profile("dev", image.image(), method, sshKey.publicKey()));
        cluster.apply(TetherCluster.credential(NODE, "dev", ImageCache.NAMESPACE, MAC, NodeCredentialSpec.Arming.ONCE));
        Path knownHosts = runDir.resolve("known_hosts");
        Files.writeString(knownHosts, cluster.sshKnownHostsLine().strip() + "\n");
        System.out.println("  edges: " + String.join(", ", cluster.edgeUrls()));

        step(5, "Booting a VM (qemu, software emulation, a swtpm TPM) from the edges; its console follows (2-3 min)");
        Instant start = Instant.now();
        var tpm = SoftwareTpm.start(runDir.resolve("tpm"));
        running.add(tpm);
        var vm = VirtualMachine.builder().mac(MAC).workDir(runDir).tpmSocket(tpm.controlSocket()).allowReboot(true).echoConsole(System.out)
                .ipxeScript(VirtualMachine.Builder.chainTo(cluster.edgeUrls().getFirst())).start();
        running.add(vm);
        vm.trustHostKeysFrom(knownHosts, NODE + "." + ImageCache.NAMESPACE + ".tether.internal");
        vm.waitFor("login:", Duration.ofMinutes(15));
        var check = vm.sshWhenReady(sshKey.privateKey(), "findmnt -n -o FSTYPE,SOURCE /; uptime", Duration.ofMinutes(5));
        step(6, String.format("%s is up after %ds: %s", NODE, Duration.between(start, Instant.now()).toSeconds(), check.output().strip().replace('\n', ';')));
        var credential = cluster.credential(ImageCache.NAMESPACE, NODE);
        System.out.print(BootTimelineChart.render(credential).indent(2));
        System.out.println();
        System.out.println("Log in (the host key is checked against the cluster's SSH CA only):");
        System.out.println("  " + String.join(" ", vm.sshCommand(sshKey.privateKey())));
        System.out.println("Console log: " + vm.consoleLog() + "    Ctrl-C stops the VM, the edges and the operator.");
        Thread.currentThread().join();
    }

    private static int installIntoCluster(Path project, Path kubeconfig) throws Exception {
        String contents = Files.readString(kubeconfig);
        step(1, "Installing the Helm chart helm/tether as release 'tether' in namespace tether-system");
        new Helm(project.resolve("helm/tether")).install()
                .withKubeConfigContents(contents)
                .withName("tether")
                .withNamespace("tether-system")
                .createNamespace()
                .waitReady()
                .call();
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(contents)).build()) {
            step(2, "Applying the samples (samples/*.yaml) in namespace default");
            for (String sample : new String[] {"debian-image.yaml", "compute-profile.yaml", "node-credential.yaml"}) {
                try (InputStream in = Files.newInputStream(project.resolve("samples").resolve(sample))) {
                    client.load(in).inNamespace("default").forceConflicts().serverSideApply();
                }
                System.out.println("  applied samples/" + sample);
            }
            step(3, "Following the image build (kubectl get disklessimage bookworm -w shows the same)");
            String last = "";
            Instant deadline = Instant.now().plus(Duration.ofMinutes(60));
            while (Instant.now().isBefore(deadline)) {
                var image = client.resources(DisklessImage.class).inNamespace("default").withName("bookworm").get();
                var daemonSet = client.apps().daemonSets().inNamespace("default").withName("compute-edge").get();
                String phase = image == null || image.getStatus() == null ? "pending" : String.valueOf(image.getStatus().phase);
                String edges = daemonSet == null || daemonSet.getStatus() == null ? "none yet"
                        : daemonSet.getStatus().getNumberReady() + "/" + daemonSet.getStatus().getDesiredNumberScheduled() + " ready";
                String now = "image " + phase + ", edges " + edges;
                if (!now.equals(last)) {
                    System.out.println("  " + now);
                    last = now;
                }
                if ("PUBLISHED".equals(phase) && daemonSet != null && daemonSet.getStatus() != null
                        && daemonSet.getStatus().getNumberReady() != null && daemonSet.getStatus().getNumberReady() > 0) {
                    step(4, "Ready: power on node-001 (MAC 52:54:00:12:34:56) to network-boot from an edge; follow it with"
                            + " kubectl get nodecredential node-001 -w");
                    return 0;
                }
                Thread.sleep(5000); // a person watching: a line when something changed, checked every few seconds
            }
            System.err.println("tether-dev: the image or the edges were not ready within an hour; see kubectl describe disklessimage bookworm");
            return 1;
        }
    }

    private static void step(int n, String what) {
        System.out.printf("%n[%d/%d] %s%n", n, STEPS, what);
    }

    @Command(name = "timeline", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
            description = "Each node's last boot, phase by phase, from its NodeCredential.")
    static final class Timeline implements Callable<Integer> {
        @Option(names = "--kubeconfig", paramLabel = "FILE", description = "The cluster; default: the usual kubeconfig.")
        Path kubeconfig;

        @Option(names = {"-n", "--namespace"}, paramLabel = "NAMESPACE", defaultValue = "default",
                description = "The NodeCredentials' namespace. Default: ${DEFAULT-VALUE}.")
        String namespace;

        @Parameters(arity = "1..*", paramLabel = "NODE", description = "NodeCredential names.")
        List<String> nodes;

        @Override
        public Integer call() throws IOException {
            var builder = new KubernetesClientBuilder();
            if (kubeconfig != null) {
                builder.withConfig(Config.fromKubeconfig(Files.readString(kubeconfig)));
            }
            try (var client = builder.build()) {
                for (String node : nodes) {
                    var credential = client.resources(NodeCredential.class).inNamespace(namespace).withName(node).get();
                    System.out.print(credential == null ? node + ": no NodeCredential in namespace " + namespace + "\n"
                            : BootTimelineChart.render(credential));
                }
            }
            return 0;
        }
    }
}

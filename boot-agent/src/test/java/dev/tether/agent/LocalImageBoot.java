package dev.tether.agent;

import dev.tether.agent.cli.TetherAgent;
import dev.tether.agent.root.DeviceNumber;
import dev.tether.agent.root.HostTools;
import dev.tether.agent.root.Mounter;
import dev.tether.agent.root.PersistenceHook;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * The agent program with a local squashfs file in place of the edges' image, run by
 * {@link BootEndToEndTest} in a private mount namespace. After a successful boot it writes through the
 * root and prints {@code VERIFY} lines about where things landed, for the test to check.
 *
 * <p>Arguments: optionally {@code --copy=ok} or {@code --copy=fails} (the image is served until a copy of it in the
 * RAM disk is complete, as an untethered image with a manifest is: {@code copy.sfs} beside it, or an I/O error), then
 * the squashfs file, then the agent's own arguments.
 */
public final class LocalImageBoot {
    private LocalImageBoot() {
    }

    public static void main(String[] args) throws Exception {
        String copy = args[0].startsWith("--copy=") ? args[0].substring("--copy=".length()) : null;
        int first = copy == null ? 0 : 1;
        Path squashfs = Path.of(args[first]);
        String[] agentArgs = Arrays.copyOfRange(args, first + 1, args.length);
        RootImageSource local = request -> {
            System.out.println("SOURCE " + request.method().value() + " " + request.rootImageDigest()
                    + " edges=" + request.edges().size() + " key=" + request.key().isPresent());
            return new RootImageSource.MountedImage() {
                @Override
                public Path squashfsFile() {
                    return squashfs;
                }

                @Override
                public boolean fillsRam() {
                    return copy != null;
                }

                @Override
                public Path fillRam() throws IOException {
                    System.out.println("SOURCE copying");
                    if (copy.equals("fails")) {
                        throw new IOException("no edge answers");
                    }
                    return Files.copy(squashfs, request.workDir().resolve("copy.sfs"));
                }

                @Override
                public void stopServing() {
                    System.out.println("SOURCE stopped serving");
                }

                @Override
                public void close() {
                    System.out.println("SOURCE closed");
                }
            };
        };
        PersistenceHook hook = layout -> {
            System.out.println("HOOK lower-visible=" + Files.exists(layout.target().resolve("etc/os-release")));
            Files.writeString(layout.target().resolve("etc/kept"), "restored by the hook\n");
        };
        int status = TetherAgent.run(agentArgs, System.out, new AgentServices(local, hook, HostTools.fromEnvironment()),
                Optional.empty());
        if (status == 0) {
            Path target = Path.of(agentArgs[1]);
            Path upper = Path.of(valueOf(agentArgs, "--run-dir")).resolve("rw/upper");
            System.out.println("VERIFY os-release=" + Files.readAllLines(target.resolve("etc/os-release")).get(0));
            Files.writeString(target.resolve("etc/after-boot"), "written after the hand-over\n");
            System.out.println("VERIFY upper-after-boot=" + Files.readString(upper.resolve("etc/after-boot")).strip());
            System.out.println("VERIFY upper-kept=" + Files.readString(upper.resolve("etc/kept")).strip());
            System.out.println("VERIFY overlay-mounted=" + Mounter.isMountPoint(target));
            Path lower = Path.of(valueOf(agentArgs, "--run-dir")).resolve("lower");
            System.out.println("VERIFY lower-reads=" + Files.readString(Path.of("/sys/dev/block",
                    DeviceNumber.ofFileSystemAt(lower).toString(), "loop/backing_file")).strip());
        }
        System.out.flush();
        System.exit(status);
    }

    private static String valueOf(String[] args, String option) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(option)) {
                return args[i + 1];
            }
        }
        throw new IllegalArgumentException(option + " not given");
    }
}

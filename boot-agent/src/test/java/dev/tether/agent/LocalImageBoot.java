package dev.tether.agent;

import dev.tether.agent.cli.TetherAgent;
import dev.tether.agent.root.HostTools;
import dev.tether.agent.root.Mounter;
import dev.tether.agent.root.PersistenceHook;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * The agent program with a local squashfs file in place of the edges' image, run by
 * {@link BootEndToEndTest} in a private mount namespace. After a successful boot it writes through the
 * root and prints {@code VERIFY} lines about where things landed, for the test to check.
 *
 * <p>Arguments: the squashfs file, then the agent's own arguments.
 */
public final class LocalImageBoot {
    private LocalImageBoot() {
    }

    public static void main(String[] args) throws Exception {
        Path squashfs = Path.of(args[0]);
        String[] agentArgs = Arrays.copyOfRange(args, 1, args.length);
        RootImageSource local = request -> {
            System.out.println("SOURCE " + request.method().value() + " " + request.rootImageDigest()
                    + " edges=" + request.edges().size() + " key=" + request.key().isPresent());
            return new RootImageSource.MountedImage() {
                @Override
                public Path squashfsFile() {
                    return squashfs;
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

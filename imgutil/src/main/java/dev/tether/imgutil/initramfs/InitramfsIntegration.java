package dev.tether.imgutil.initramfs;

import dev.tether.imgutil.UserError;
import dev.tether.imgutil.util.Console;
import dev.tether.imgutil.util.ProcessRunner;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Installs Tether's initramfs integration into an image tree: the initramfs-tools hook, boot script and
 * configuration (Debian, Ubuntu; the configuration keeps network drivers only, no disk drivers) and the dracut
 * module (RHEL family, and any image that uses dracut), plus the boot agent bundle they copy into each initramfs.
 * The image's own tool then builds a diskless-capable initramfs every time it runs, including after a package
 * upgrade inside the image.
 */
public final class InitramfsIntegration {
    /** Where the boot agent bundle lives in the tree; the hook and module copy it from here. */
    public static final String AGENT_DIR = "usr/lib/tether/agent";
    public static final String AGENT_LAUNCHER = "bin/tether-agent";

    private static final String RESOURCES = "/dev/tether/imgutil/initramfs/";

    /** Where initramfs-tools reads its configuration, hooks and boot scripts in a tree. */
    public static final String INITRAMFS_TOOLS_DIR = "etc/initramfs-tools";

    private record Installed(String resource, String target, boolean executable) {
    }

    private static final List<Installed> FILES = List.of(
            new Installed("initramfs-tools/hook", INITRAMFS_TOOLS_DIR + "/hooks/tether", true),
            new Installed("initramfs-tools/script", INITRAMFS_TOOLS_DIR + "/scripts/tether", false),
            new Installed("initramfs-tools/conf", INITRAMFS_TOOLS_DIR + "/conf.d/00-tether", false),
            new Installed("dracut/module-setup.sh", "usr/lib/dracut/modules.d/90tether/module-setup.sh", true),
            new Installed("dracut/tether-cmdline.sh", "usr/lib/dracut/modules.d/90tether/tether-cmdline.sh", true),
            new Installed("dracut/tether-mount.sh", "usr/lib/dracut/modules.d/90tether/tether-mount.sh", true));

    /**
     * Tether's files in {@link #INITRAMFS_TOOLS_DIR}, relative to it: what to take out of a copy of the image's
     * configuration to build the image's stock initramfs.
     */
    public static List<String> initramfsToolsFiles() {
        return FILES.stream().map(Installed::target).filter(target -> target.startsWith(INITRAMFS_TOOLS_DIR + "/"))
                .map(target -> target.substring(INITRAMFS_TOOLS_DIR.length() + 1)).toList();
    }

    private final Console console;
    private final ProcessRunner runner;

    public InitramfsIntegration(Console console, ProcessRunner runner) {
        this.console = console;
        this.runner = runner;
    }

    /**
     * @param agentBundle a directory holding {@code bin/tether-agent} and its runtime, or {@code null}:
     *     then the integration is installed but every initramfs will lack the agent, which is said loudly
     */
    public void install(Path root, Path agentBundle) {
        for (Installed file : FILES) {
            Path target = root.resolve(file.target());
            try (InputStream in = InitramfsIntegration.class.getResourceAsStream(RESOURCES + file.resource())) {
                if (in == null) {
                    throw new IllegalStateException(file.resource() + " is missing from the imgutil jar");
                }
                Files.createDirectories(target.getParent());
                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(
                        file.executable() ? "rwxr-xr-x" : "rw-r--r--"));
            } catch (IOException e) {
                throw new UserError("cannot install " + target + ": " + e.getMessage(), e);
            }
        }
        if (agentBundle == null) {
            console.warn("no --agent-bundle given: the initramfs of this image will have NO boot agent and cannot"
                    + " boot a Tether node until one is installed at /" + AGENT_DIR);
            return;
        }
        installAgent(root, agentBundle);
        console.info("installed the Tether initramfs integration and the boot agent from " + agentBundle);
    }

    private void installAgent(Path root, Path bundle) {
        if (!Files.isExecutable(bundle.resolve(AGENT_LAUNCHER))) {
            throw new UserError("--agent-bundle " + bundle + " has no executable " + AGENT_LAUNCHER);
        }
        Path target = root.resolve(AGENT_DIR);
        runner.run("removing the old boot agent", List.of("rm", "-rf", "--one-file-system", target.toString()));
        try {
            Files.createDirectories(target);
        } catch (IOException e) {
            throw new UserError("cannot create " + target + ": " + e.getMessage(), e);
        }
        runner.run("copying the boot agent", List.of("cp", "-a", bundle.toAbsolutePath() + "/.", target.toString()));
    }
}

package dev.tether.imgutil.initramfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.imgutil.UserError;
import dev.tether.imgutil.util.Console;
import dev.tether.imgutil.util.ProcessRunner;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The integration files land where initramfs-tools and dracut look for them, executable, and parse as shell. */
class InitramfsIntegrationTest {
    @TempDir
    Path root;

    @TempDir
    Path bundleDir;

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final Console console = new Console(new PrintStream(log, true, StandardCharsets.UTF_8), false);

    @Test
    void installsHookScriptAndDracutModuleThatParse() throws Exception {
        new InitramfsIntegration(console, new ProcessRunner(console)).install(root, null);

        for (String script : List.of("etc/initramfs-tools/hooks/tether", "etc/initramfs-tools/scripts/tether",
                "usr/lib/dracut/modules.d/90tether/module-setup.sh", "usr/lib/dracut/modules.d/90tether/tether-cmdline.sh",
                "usr/lib/dracut/modules.d/90tether/tether-mount.sh")) {
            Path file = root.resolve(script);
            assertThat(file).exists();
            String shell = script.endsWith("module-setup.sh") ? "bash" : "sh";
            Process check = new ProcessBuilder(shell, "-n", file.toString()).redirectErrorStream(true).start();
            assertThat(check.waitFor()).as("%s -n %s: %s", shell, script, new String(check.getInputStream().readAllBytes()))
                    .isZero();
        }
        assertThat(root.resolve("etc/initramfs-tools/hooks/tether")).isExecutable();
        // initramfs-tools sources conf.d's files as shell: a diskless initramfs with network drivers, not disk drivers.
        Path conf = root.resolve("etc/initramfs-tools/conf.d/00-tether");
        Process sourced = new ProcessBuilder("sh", "-c", ". \"$1\" && echo \"$MODULES\"", "sh", conf.toString())
                .redirectErrorStream(true).start();
        assertThat(new String(sourced.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip()).isEqualTo("netboot");
        assertThat(sourced.waitFor()).isZero();
        assertThat(Files.isExecutable(conf)).as("a configuration, sourced, not run").isFalse();
        // What a stock initramfs of the same tree leaves out (the local-disk reference boot): every file above, and no other.
        assertThat(InitramfsIntegration.initramfsToolsFiles()).containsExactlyInAnyOrder("hooks/tether", "scripts/tether",
                "conf.d/00-tether");
        assertThat(Files.readString(root.resolve("etc/initramfs-tools/scripts/tether")))
                .contains("mountroot()", "/usr/lib/tether/agent/bin/tether-agent", "boot \"${rootmnt?}\"");
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("WARNING: no --agent-bundle given",
                "will have NO boot agent");
    }

    @Test
    void copiesTheAgentBundleAndRefusesOneWithoutALauncher() throws Exception {
        Path bundle = Files.createDirectories(bundleDir.resolve("bin"));
        Files.writeString(bundle.resolve("tether-agent"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(bundle.resolve("tether-agent"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(bundle.resolveSibling("lib"));
        Files.writeString(bundle.resolveSibling("lib/modules"), "jimage");
        InitramfsIntegration integration = new InitramfsIntegration(console, new ProcessRunner(console));

        integration.install(root, bundle.getParent());

        assertThat(root.resolve("usr/lib/tether/agent/bin/tether-agent")).isExecutable();
        assertThat(root.resolve("usr/lib/tether/agent/lib/modules")).hasContent("jimage");
        Path empty = Files.createDirectories(root.resolve("empty-bundle"));
        assertThatThrownBy(() -> integration.install(root, empty)).isInstanceOf(UserError.class)
                .hasMessageContaining("has no executable bin/tether-agent");
    }
}

package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.root.HostTools;
import dev.tether.agent.root.PersistenceHook;
import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.Manifest;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent program when the boot cannot go on: one line saying what happened and what to do, a non-zero
 * status, and no stack trace unless asked for. These fail before anything is mounted, so need no root.
 */
class BootFailureTest {
    private static final String ROOT_IMAGE = "sha256:" + "cd".repeat(32);

    @TempDir
    Path temp;

    private ManifestServer edge;
    private final RootImageSource neverCalled = request -> {
        throw new AssertionError("the image must not be opened after an earlier failure");
    };

    @BeforeEach
    void startEdge() throws IOException {
        edge = new ManifestServer();
    }

    @AfterEach
    void stopEdge() {
        edge.close();
    }

    @Test
    void badKernelCommandLineValuesAreNamedInOneLine() throws Exception {
        AgentRun run = boot(services(HostTools.fromEnvironment()),
                "tether.method=sideways tether.edges=" + edge.url() + " tether.image=sha256:123");
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.errors()).containsExactly("tether: error: cmdline failed: kernel command line:"
                + " tether.method: 'sideways' is not a method; use tethered or untethered;"
                + " tether.image=sha256:123 is not a digest; expected sha256: and 64 lowercase hex digits");
        assertNoStackTrace(run);
    }

    @Test
    void aMissingMkfsXfsIsNamedBeforeAnythingIsFetched() throws Exception {
        // mount and umount are system calls of the agent's own: mkfs.xfs is the one tool a root needs.
        Path bin = Files.createDirectories(temp.resolve("bin"));
        String image = edge.publish(ManifestServer.manifest(ROOT_IMAGE, 1 << 20, false, null));
        AgentRun run = boot(services(HostTools.fromPath(bin.toString(), false)),
                "tether.edges=" + edge.url() + " tether.image=" + image);
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.errors()).containsExactly("tether: error: preflight failed: mkfs.xfs not found (searched "
                + bin + "): the initramfs must contain it; rebuild it with the Tether hook, which copies mkfs.xfs");
        assertNoStackTrace(run);
        assertThat(Files.exists(temp.resolve("run/boot-timings.json"))).isFalse();
    }

    /** Without the chunk pins, an edge could serve chunks of its own under an unencrypted image's URL. */
    @Test
    void anUnencryptedImageWhoseManifestDoesNotPinItsChunksIsNotBooted() throws Exception {
        Manifest pinned = ManifestServer.manifest(ROOT_IMAGE, 1 << 20, false, null);
        Manifest.Encryption sealing = pinned.encryption();
        String image = edge.publish(new Manifest(pinned.formatVersion(), "imgutil 0.9.0", pinned.buildTime(),
                pinned.distribution(), pinned.release(), pinned.architecture(), pinned.kernelVersion(),
                pinned.compression(), pinned.kernel(), pinned.initramfs(), pinned.rootImage(), pinned.squashfs(),
                new Manifest.Encryption(sealing.cipher(), null, sealing.chunkSize(), sealing.chunkCount(),
                        sealing.headerDigest())));
        AgentRun run = boot(services(HostTools.fromEnvironment()), "tether.edges=" + edge.url() + " tether.image=" + image);
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.errors()).singleElement().asString()
                .endsWith("the image " + ContentDigest.shortForm(image) + " cannot be booted safely: its manifest (built by"
                        + " imgutil 0.9.0) does not pin the chunks of its unencrypted root image (no"
                        + " encryption.chunkHashes), so an edge could serve chunks of its own with hashes it computed for"
                        + " them; rebuild the image with this version of imgutil");
        assertNoStackTrace(run);
    }

    @Test
    void anEncryptedImageWithoutAKeySaysHowToGiveOne() throws Exception {
        String image = edge.publish(ManifestServer.manifest(ROOT_IMAGE, 1 << 20, true, "00".repeat(16)));
        AgentRun run = boot(services(HostTools.fromEnvironment()), "tether.edges=" + edge.url() + " tether.image=" + image);
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.errors()).singleElement().asString()
                .startsWith("tether: error: key failed: the image " + image.substring(7, 19) + " ")
                .endsWith("is encrypted and there is no image key; give one with --key-file");
        assertNoStackTrace(run);
    }

    @Test
    void theWrongKeyIsToldApartFromDamage() throws Exception {
        ImageKey key = ImageKey.generate(new SecureRandom());
        Path keyFile = Files.writeString(temp.resolve("image.key"), HexFormat.of().formatHex(key.bytes()) + "\n");
        String image = edge.publish(ManifestServer.manifest(ROOT_IMAGE, 1 << 20, true, "00".repeat(16)));
        AgentRun run = boot(services(HostTools.fromEnvironment()), "tether.edges=" + edge.url() + " tether.image=" + image,
                "--key-file", keyFile.toString());
        assertThat(run.errors()).singleElement().asString().contains("the image key (id " + key.keyIdHex()
                + ") is not this image's key (id " + "00".repeat(16) + ")");
    }

    @Test
    void edgesThatDoNotAnswerAreListedWithWhatToCheck() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        String image = "sha256:" + "ef".repeat(32);
        AgentRun run = boot(services(HostTools.fromEnvironment()),
                "tether.edges=http://127.0.0.1:" + closedPort + "," + edge.url() + " tether.image=" + image,
                "--manifest-timeout", "0");
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.errors()).singleElement().asString()
                .startsWith("tether: error: manifest failed: no edge could serve the manifest " + image)
                .contains("http://127.0.0.1:" + closedPort + ": ")
                .contains(edge.url() + ": not found (HTTP 404)")
                .endsWith("check that the edges are up and reachable and that the image is published");
        assertNoStackTrace(run);
    }

    @Test
    void debugAddsTheStackTraceUnderTheLine() throws Exception {
        AgentRun run = boot(services(HostTools.fromEnvironment()), "tether.method=sideways tether.debug");
        assertThat(run.errors()).hasSize(1);
        assertThat(run.output()).contains("\tat dev.tether.agent.");
    }

    @Test
    void usageErrorsAndHelp() throws Exception {
        AgentServices services = services(HostTools.fromEnvironment());
        AgentRun conflict = AgentRun.of(services, "boot", "/sysroot", "--root", "/elsewhere");
        assertThat(conflict.status()).isEqualTo(2);
        assertThat(conflict.errors()).containsExactly(
                "tether: error: ROOT /sysroot and --root /elsewhere differ; give one of them");
        AgentRun unknown = AgentRun.of(services, "boot", "--no-such-option");
        assertThat(unknown.status()).isEqualTo(2);
        assertThat(unknown.errors()).singleElement().asString().contains("Unknown option: '--no-such-option'");
        AgentRun help = AgentRun.of(services, "boot", "--help");
        assertThat(help.status()).isZero();
        assertThat(help.output()).contains("Usage: tether-agent boot").contains("--key-file");
        AgentRun version = AgentRun.of(services, "--version");
        assertThat(version.status()).isZero();
        assertThat(version.output()).startsWith("tether-agent ");
    }

    /** Every bad command line is one line naming the command's help and status 2, never a stack trace. */
    @Test
    void badCommandLinesAreOneLineUsageErrors() throws Exception {
        AgentServices services = services(HostTools.fromEnvironment());
        assertUsageError(AgentRun.of(services, "boot", "--manifest-timeout=soon"),
                "Invalid value for option '--manifest-timeout': 'soon' is not a whole number (see 'tether-agent boot --help')");
        assertUsageError(AgentRun.of(services, "boot", "--root"),
                "Missing required parameter for option '--root' (DIR) (see 'tether-agent boot --help')");
        assertUsageError(AgentRun.of(services, "boot", "/sysroot", "/other"),
                "Unmatched argument at index 2: '/other' (see 'tether-agent boot --help')");
        assertUsageError(AgentRun.of(services, "boot", "--debug=yes"),
                "Option '--debug' takes no value: '--debug=yes' (see 'tether-agent boot --help')");
        assertUsageError(AgentRun.of(services, "frobnicate"),
                "Unmatched argument at index 0: 'frobnicate' (see 'tether-agent --help')");
        assertUsageError(AgentRun.of(services, "persistence", "load"),
                "Unmatched argument at index 1: 'load' (see 'tether-agent persistence --help')");
        assertUsageError(AgentRun.of(services, "selftest", "--require-libraries", "--fast"),
                "Unknown option: '--fast' (see 'tether-agent selftest --help')");
    }

    @Test
    void theHelpListsEveryCommandAndEveryOptionButTheLaunchersOwn() throws Exception {
        AgentServices services = services(HostTools.fromEnvironment());
        AgentRun top = AgentRun.of(services, "--help");
        assertThat(top.status()).isZero();
        assertThat(top.output()).startsWith("Usage: tether-agent [-hV] [COMMAND]").contains("  boot ", "  selftest ",
                "  persistence ");
        AgentRun bare = AgentRun.of(services);
        assertThat(bare.status()).as("no command: the help, as a usage error").isEqualTo(2);
        assertThat(bare.output()).isEqualTo(top.output());
        AgentRun boot = AgentRun.of(services, "boot", "-h");
        assertThat(boot.output()).contains("[ROOT]", "--root=DIR", "--cmdline=FILE", "--key-file=FILE", "--addon=FILE",
                "--run-dir=DIR", "--manifest-timeout=SECONDS", "--node-api-ca=FILE", "--debug", "Exit status:")
                .doesNotContain("--ready-file");
        AgentRun save = AgentRun.of(services, "persistence", "save", "--help");
        assertThat(save.status()).isZero();
        assertThat(save.output()).startsWith("Usage: tether-agent persistence save [-hV] [--final] [--session=DIR]"
                + " [--root=DIR]");
        AgentRun group = AgentRun.of(services, "persistence");
        assertThat(group.status()).isEqualTo(2);
        assertThat(group.output()).contains("Commands:", "  save ");
    }

    private static void assertUsageError(AgentRun run, String line) {
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.errors()).containsExactly("tether: error: " + line);
        assertThat(run.output()).doesNotContain("\tat ");
    }

    private AgentServices services(HostTools tools) {
        return new AgentServices(neverCalled, PersistenceHook.NONE, tools);
    }

    private AgentRun boot(AgentServices services, String cmdline, String... extra) throws IOException {
        Path cmdlineFile = Files.writeString(temp.resolve("cmdline"), "boot=tether " + cmdline + " tether.console=console\n");
        List<String> args = new ArrayList<>(List.of("boot", temp.resolve("sysroot").toString(),
                "--cmdline", cmdlineFile.toString(), "--addon", temp.resolve("no-addon.json").toString(),
                "--run-dir", temp.resolve("run").toString()));
        args.addAll(List.of(extra));
        return AgentRun.of(services, args.toArray(String[]::new));
    }

    private static void assertNoStackTrace(AgentRun run) {
        assertThat(run.output()).doesNotContain("\tat ").doesNotContain("Exception");
    }
}

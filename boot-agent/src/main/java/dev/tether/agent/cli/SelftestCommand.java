package dev.tether.agent.cli;

import com.sun.jna.Native;
import dev.tether.agent.AddonProfile;
import dev.tether.agent.AgentConsole;
import dev.tether.agent.AgentFootprint;
import dev.tether.agent.Libc;
import dev.tether.agent.fuse.FuseMount;
import dev.tether.agent.trust.HostKey;
import dev.tether.nodeapi.BootReport;
import dev.tether.nodeapi.NodeApiJson;
import dev.tether.tpm.Tpm2;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code tether-agent selftest}: runs, in this runtime, each kind of code the boot needs that a trimmed
 * bundle could lose (native libraries through JNA, JSON through Jackson, key generation, TLS, AES-GCM), and
 * prints what the bundle can do and what the process costs. The bundle build runs it; an administrator can
 * run it in an initramfs shell ({@code rd.break}) to see whether the agent there works.
 */
public final class SelftestCommand implements TetherAgent.AgentCommand {
    static final String SUMMARY = "Checks that this agent bundle can do what a boot needs.";

    boolean requireLibraries;

    private final AgentConsole console;
    private final List<String> failed = new ArrayList<>();

    public SelftestCommand(AgentConsole console) {
        this.console = console;
    }

    @Override
    public CommandSyntax syntax() {
        return new CommandSyntax("tether-agent selftest",
                List.of("Checks that this agent bundle can do what a boot needs: FUSE, the TPM libraries through JNA,",
                        "the profile's JSON, SSH host keys of every type, TLS and AES-GCM. One line per check."),
                List.of("", "Exit status: 0 when every required check passed, 1 otherwise."))
                .flag("--require-libraries", "Fail when /dev/fuse cannot be opened or the tpm2-tss libraries cannot be"
                        + " loaded (by default they are reported only: a build host need not have them).",
                        () -> requireLibraries = true);
    }

    @Override
    public int call() {
        check("runtime", true, () -> "Java " + Runtime.version() + ", modules " + String.join(" ",
                ModuleLayer.boot().modules().stream().map(Module::getName).sorted().toList()));
        check("jna", true, () -> {
            // libc: the same machinery the FUSE and TPM bindings use, on a library every system has; the binding the
            // root's mounts and the persistence use.
            int pid = Libc.get().getpid();
            if (pid != ProcessHandle.current().pid()) {
                throw new IllegalStateException("getpid() through JNA said " + pid);
            }
            return "libc getpid() = " + pid + ", " + Libc.failure(2) + ", JNA " + Native.VERSION_NATIVE;
        });
        check("fuse", requireLibraries, FuseMount::checkDevice);
        check("tpm", requireLibraries, () -> "tpm2-tss decodes 0x99d as " + Tpm2.checkLibraries());
        check("json", true, this::json);
        for (String type : HostKey.TYPES) {
            check("hostkey " + type, true, () -> {
                long start = System.nanoTime();
                HostKey key = HostKey.generate(type, new SecureRandom(), "root@selftest");
                return key.algorithm() + " in " + (System.nanoTime() - start) / 1_000_000 + " ms";
            });
        }
        check("tls", true, () -> SelftestTls.exchange(console));
        check("aes-gcm", true, SelftestCommand::aesGcm);
        check("memory", false, () -> AgentFootprint.measure().describe() + ", heap max "
                + (Runtime.getRuntime().maxMemory() >> 20) + " MiB");
        if (failed.isEmpty()) {
            console.info("selftest: every required check passed");
            return 0;
        }
        console.error("selftest: " + String.join(", ", failed) + " failed; this bundle cannot boot a node");
        return BootCommand.FAILED;
    }

    private interface Check {
        String run() throws Exception;
    }

    private void check(String name, boolean required, Check check) {
        try {
            console.info("selftest: " + name + ": ok (" + check.run() + ")");
        } catch (Exception | LinkageError e) {
            String why = TetherAgent.oneLine(String.valueOf(e.getMessage()));
            if (required) {
                failed.add(name);
                console.info("selftest: " + name + ": FAILED (" + e.getClass().getSimpleName() + ": " + why + ")");
            } else {
                console.info("selftest: " + name + ": not available (" + why + ")");
            }
        }
    }

    /** The addon profile as the boot reads it, and a boot report as the boot writes it. */
    private String json() throws Exception {
        Path file = Files.createTempFile("tether-selftest-", ".json");
        try {
            Files.writeString(file, "{\"namespace\":\"tether\",\"profile\":\"compute\",\"method\":\"tethered\","
                    + "\"edges\":[\"http://10.0.0.1:8080\"],\"nodeApi\":[],\"tpmPolicy\":\"preferred\",\"newer\":1}");
            AddonProfile profile = AddonProfile.read(file).orElseThrow();
            if (!"compute".equals(profile.profile()) || profile.edges().size() != 1) {
                throw new IllegalStateException("read back as " + profile);
            }
        } finally {
            Files.deleteIfExists(file);
        }
        String report = NodeApiJson.JSON.asString(new BootReport("sha256:" + "0".repeat(64), "tethered",
                "tpm", Map.of("image", 1L), new BootReport.Fetch(1, 0, 0, 0, 1, 1L)));
        return "profile.json read, boot report written (" + report.length() + " bytes)";
    }

    private static String aesGcm() throws Exception {
        byte[] key = new byte[32];
        byte[] nonce = new byte[12];
        new SecureRandom().nextBytes(key);
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
        byte[] sealed = cipher.doFinal("chunk".getBytes(StandardCharsets.US_ASCII));
        cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
        return "AES-256-GCM round trip, " + new String(cipher.doFinal(sealed), StandardCharsets.US_ASCII).length() + " bytes";
    }
}

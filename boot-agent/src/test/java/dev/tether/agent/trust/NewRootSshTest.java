package dev.tether.agent.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.agent.HostRequirements;
import dev.tether.nodeapi.BootConfiguration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SSH step into a temporary root: host keys certified by the stand-in node API (signed by the real
 * ssh-keygen), read back by ssh-keygen -L, and the written configuration accepted by the real sshd -t.
 */
class NewRootSshTest {
    private static final String DEBIAN_SSHD_CONFIG = """
            # This is the sshd server system-wide configuration file.
            Include /etc/ssh/sshd_config.d/*.conf
            KbdInteractiveAuthentication no
            UsePAM yes
            X11Forwarding yes
            PrintMotd no
            AcceptEnv LANG LC_*
            Subsystem\tsftp\t/usr/lib/openssh/sftp-server
            """;
    private static final String SHADOW = """
            root:*:19700:0:99999:7:::
            daemon:*:19700:0:99999:7:::
            alice:$y$j9T$abc$def:19701:0:99999:7:::
            """;
    private static final String ADMIN_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx0b3RhbGx5LWEtdGVzdC1rZXktZm9yLWFkbWlucw admin@site";

    @TempDir
    Path temp;
    private Path root;

    @BeforeEach
    void imageRoot() throws Exception {
        HostRequirements.tools("ssh-keygen");
        root = Files.createDirectories(temp.resolve("root"));
        Files.createDirectories(root.resolve("etc/ssh/sshd_config.d"));
        Files.createDirectories(root.resolve("root"));
        Files.writeString(root.resolve("etc/ssh/sshd_config"), DEBIAN_SSHD_CONFIG);
        // An image built with openssh-server carries the host keys its package made: the same for every node.
        Files.writeString(root.resolve("etc/ssh/ssh_host_rsa_key"), "stale");
        Files.writeString(root.resolve("etc/ssh/ssh_host_rsa_key.pub"), "stale");
        Files.writeString(root.resolve("etc/ssh/ssh_host_dsa_key"), "stale");
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\n");
        Path shadow = Files.writeString(root.resolve("etc/shadow"), SHADOW);
        Files.setPosixFilePermissions(shadow, PosixFilePermissions.fromString("rw-r-----"));
        Files.setAttribute(shadow, "unix:gid", 42);
    }

    @Test
    void hostKeysCertificatesTrustPasswordAndKeysLandInTheRoot() throws Exception {
        try (TrustFixture fixture = new TrustFixture(temp.resolve("api"))) {
            BootConfiguration config = configWith(fixture, List.of("ed25519", "ecdsa", "rsa"));
            NodeTrust trust = trust(fixture);
            trust.installSsh(root, config);

            Path etcSsh = root.resolve("etc/ssh");
            for (String type : List.of("ed25519", "ecdsa", "rsa")) {
                Path key = etcSsh.resolve("ssh_host_" + type + "_key");
                assertThat(Files.getPosixFilePermissions(key)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
                assertThat(HostKeyTest.run("ssh-keygen", "-l", "-f", key + ".pub")).contains("root@n1");
                String certificate = HostKeyTest.run("ssh-keygen", "-L", "-f", key + "-cert.pub");
                assertThat(certificate).contains("host certificate").contains("Signing CA: ED25519")
                        .containsPattern("Principals:\\s+n1\\s+n1.cluster.example");
                // The certificate is for the key beside it.
                assertThat(certificate).contains(HostKeyTest.run("ssh-keygen", "-l", "-f", key + ".pub").split(" ")[1]);
            }
            assertThat(etcSsh.resolve("ssh_host_rsa_key")).content().isNotEqualTo("stale");
            assertThat(etcSsh.resolve("ssh_host_dsa_key")).doesNotExist();
            assertThat(Files.readString(root.resolve("etc/ssh/sshd_config.d/tether.conf"))).contains(
                    "HostKey /etc/ssh/ssh_host_ed25519_key\nHostKey /etc/ssh/ssh_host_ecdsa_key\nHostKey /etc/ssh/ssh_host_rsa_key\n"
                            + "HostCertificate /etc/ssh/ssh_host_ed25519_key-cert.pub\n");
            assertThat(root.resolve("etc/ssh/sshd_config")).content().isEqualTo(DEBIAN_SSHD_CONFIG);
            assertThat(Files.readString(etcSsh.resolve("ssh_known_hosts")))
                    .isEqualTo("@cert-authority *.cluster.example,10.1.*.* " + fixture.api.sshCaPublicKey().replace(" test-ssh-ca", "")
                            + " tether-cluster-ssh-ca\n");
            assertThat(root.resolve("root/.ssh/authorized_keys")).content().isEqualTo(ADMIN_KEY + "\n");
            assertThat(Files.getPosixFilePermissions(root.resolve("root/.ssh/authorized_keys")))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));

            Path shadow = root.resolve("etc/shadow");
            assertThat(shadow).content().isEqualTo(SHADOW.replace("root:*:", "root:$6$rounds=5000$salt$hashed:"));
            assertThat(Files.getPosixFilePermissions(shadow)).isEqualTo(PosixFilePermissions.fromString("rw-r-----"));
            assertThat(Files.getAttribute(shadow, "unix:gid")).isEqualTo(42);
            assertThat(fixture.output()).contains("removed the image's own SSH host key files ssh_host_dsa_key (every node")
                    .contains("SSH host keys ed25519, ecdsa, rsa made and certified until tomorrow; sshd configured in"
                            + " etc/ssh/sshd_config.d/tether.conf; root password set")
                    .doesNotContain("PRIVATE KEY").doesNotContain("$6$").doesNotContain("tk_");

            sshdAccepts(Map.of("hostcertificate /etc/ssh/ssh_host_ed25519_key-cert.pub", true,
                    "hostkey /etc/ssh/ssh_host_rsa_key", true));

            // A second run (the agent run again in the same root) gives the same files, not more lines.
            trust.installSsh(root, config);
            assertThat(Files.readString(etcSsh.resolve("ssh_known_hosts")).lines().count()).isEqualTo(1);
            assertThat(Files.readString(root.resolve("root/.ssh/authorized_keys")).lines().count()).isEqualTo(1);
            assertThat(Files.readString(root.resolve("etc/ssh/sshd_config.d/tether.conf")).lines()
                    .filter(line -> line.startsWith("HostKey ")).count()).isEqualTo(3);
        }
    }

    @Test
    void withoutTheIncludeTheBlockGoesAtTheTopAheadOfMatchBlocks() throws Exception {
        String config = "PermitRootLogin prohibit-password\nMatch User backup\n    ForceCommand /usr/bin/true\n";
        Files.writeString(root.resolve("etc/ssh/sshd_config"), config);
        Files.setPosixFilePermissions(root.resolve("etc/ssh/sshd_config"), PosixFilePermissions.fromString("rw-------"));
        try (TrustFixture fixture = new TrustFixture(temp.resolve("api"))) {
            BootConfiguration boot = configWith(fixture, List.of());
            NodeTrust trust = trust(fixture);
            trust.installSsh(root, boot);
            trust.installSsh(root, boot);
            assertThat(root.resolve("etc/ssh/sshd_config")).content().isEqualTo(NewRootSsh.BEGIN + "\n"
                    + "HostKey /etc/ssh/ssh_host_ed25519_key\nHostCertificate /etc/ssh/ssh_host_ed25519_key-cert.pub\n"
                    + NewRootSsh.END + "\n" + config);
            assertThat(Files.getPosixFilePermissions(root.resolve("etc/ssh/sshd_config")))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(root.resolve("etc/ssh/sshd_config.d/tether.conf")).doesNotExist();
            assertThat(root.resolve("etc/ssh/ssh_host_rsa_key")).doesNotExist();
            sshdAccepts(Map.of("hostcertificate /etc/ssh/ssh_host_ed25519_key-cert.pub", true,
                    "hostkey /etc/ssh/ssh_host_rsa_key", false));
        }
    }

    @Test
    void aRealSshClientTrustingOnlyTheCertAuthorityLineAcceptsTheHostAndRefusesItUnderAnotherName() throws Exception {
        HostRequirements.root();
        HostRequirements.tools("sshd", "ssh", "unshare", "mount");
        try (TrustFixture fixture = new TrustFixture(temp.resolve("api"))) {
            BootConfiguration config = configWith(fixture, List.of());
            trust(fixture).installSsh(root, config);
            int port;
            try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = socket.getLocalPort();
            }
            // sshd from the root's /etc/ssh on a loopback port; the client's only trust is the root's
            // ssh_known_hosts (the global file, with the root's /etc/ssh bound over /etc/ssh) and no user file.
            String ssh = "ssh -F /dev/null -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes"
                    + " -o PubkeyAuthentication=no -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no"
                    + " -o ConnectTimeout=5 -p " + port;
            String script = "PATH=/usr/sbin:/usr/bin:/sbin:/bin; mount --bind " + root.resolve("etc/ssh") + " /etc/ssh"
                    + " && mount -t tmpfs tmpfs /run && mkdir -p /run/sshd"
                    + " && { timeout 120 $(command -v sshd) -D -e -f /etc/ssh/sshd_config -o ListenAddress=127.0.0.1 -p " + port
                    + " >/dev/null 2>" + temp.resolve("sshd.log") + " & }"
                    // Waits (bounded) for sshd to listen: a refused connection is the only answer retried.
                    + " ; for i in $(seq 1 100); do out=$(" + ssh + " -o HostKeyAlias=n1.cluster.example root@127.0.0.1 true 2>&1);"
                    + " case \"$out\" in *'Connection refused'*) sleep 0.1 ;; *) break ;; esac; done"
                    + " ; echo \"AS-N1: $out\""
                    + " ; echo \"AS-OTHER: $(" + ssh + " -o HostKeyAlias=other-host.cluster.example root@127.0.0.1 true 2>&1)\""
                    + " ; true";
            // In a PID namespace of its own: when the script (its PID 1) ends, the kernel ends sshd with it.
            String output = HostKeyTest.run("unshare", "--mount", "--pid", "--fork", "--propagation", "private",
                    "sh", "-c", script)
                    + "sshd said:\n" + Files.readString(temp.resolve("sshd.log"));
            String asNode = output.substring(output.indexOf("AS-N1: "), output.indexOf("AS-OTHER: "));
            String asOther = output.lines().dropWhile(l -> !l.startsWith("AS-OTHER: ")).reduce("", (a, b) -> a + b + "\n");
            // The host is verified by its certificate; only the (absent) user key is then refused.
            assertThat(asNode).as(output).contains("Permission denied").doesNotContain("Host key verification failed");
            assertThat(asOther).as(output).contains("Host key verification failed");
        }
    }

    @Test
    void aShadowFileWithoutRootOrABadHashIsRefused() throws Exception {
        Files.writeString(root.resolve("etc/shadow"), "daemon:*:19700:0:99999:7:::\n");
        assertThatThrownBy(() -> ShadowFile.setRootHash(root, "$6$salt$hash")).hasMessageContaining("no line for root");
        assertThatThrownBy(() -> ShadowFile.setRootHash(root, "$6$salt:injected")).hasMessageContaining("not a crypt(3) hash");
        assertThat(root.resolve("etc/shadow")).content().isEqualTo("daemon:*:19700:0:99999:7:::\n");
    }

    private BootConfiguration configWith(TrustFixture fixture, List<String> types) {
        FakeNodeApi.Node node = fixture.credential("continuous", true);
        BootConfiguration base = node.config;
        node.config = new BootConfiguration(base.namespace(), base.nodeName(), base.fqdn(), base.addresses(), base.profile(),
                base.image(), base.method(), base.edges(), base.kernelArgs(), base.writableLayer(), base.persistencePaths(),
                "$6$rounds=5000$salt$hashed", new BootConfiguration.Ssh(null, types, List.of(ADMIN_KEY)), base.tpmPolicy());
        return node.config;
    }

    private static NodeTrust trust(TrustFixture fixture) throws Exception {
        return NodeTrust.start(fixture.client(1), fixture.ca(), TpmPolicy.PREFERRED, TpmAccess.NONE, TrustFixture::hardware,
                fixture.console);
    }

    /**
     * The real sshd checks the written configuration, the keys (mode 0600) and the certificates, with the
     * root's /etc/ssh bound over /etc/ssh in a mount namespace of its own, so the host's stays untouched.
     */
    private void sshdAccepts(Map<String, Boolean> effectiveLines) throws Exception {
        HostRequirements.root();
        HostRequirements.tools("sshd", "unshare", "mount");
        String script = "mount --bind " + root.resolve("etc/ssh") + " /etc/ssh && mount -t tmpfs tmpfs /run"
                + " && mkdir -p /run/sshd && sshd -t -f /etc/ssh/sshd_config && sshd -T -f /etc/ssh/sshd_config";
        String effective = HostKeyTest.run("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin; " + script);
        effectiveLines.forEach((line, present) -> {
            if (present) {
                assertThat(effective.lines()).contains(line);
            } else {
                assertThat(effective.lines()).doesNotContain(line);
            }
        });
    }

    @Test
    void theCaIsNeverTrustedForEveryHostName() throws Exception {
        Path root = temp.resolve("ca-root");
        Files.createDirectories(root.resolve("etc/ssh"));
        NewRootSsh files = new NewRootSsh(root);
        String ca = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHdDa1rMs1fEUlAYXjLK4Jvm/8GiWVfDz0iB/TJ8nEe7 ca";
        for (String everyHost : List.of("*", "*.*", "*,github.com", "!bad.example", "a b")) {
            assertThatThrownBy(() -> files.trustCertificateAuthority(ca, List.of(everyHost)))
                    .isInstanceOf(TrustException.class).hasMessageContaining("not a known_hosts pattern for named hosts");
        }
        assertThat(root.resolve("etc/ssh/ssh_known_hosts")).doesNotExist();
    }
}

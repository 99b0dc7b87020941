package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.nodeapi.HostCertificates;
import dev.tether.nodeapi.HostKeys;
import dev.tether.nodeapi.NodeApi;
import dev.tether.operator.OperatorHarness;
import dev.tether.operator.trust.SshCaPublication;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Host certificates checked by the real OpenSSH tools: {@code ssh-keygen -L} reads them, and a real
 * {@code sshd} presenting one is accepted by a real {@code ssh} that trusts only the {@code @cert-authority}
 * line, for the node's name and not for another host's.
 */
class HostCertificateSshTest extends NodeApiTestBase {
    private static final Path SSH_KEYGEN = Path.of("/usr/bin/ssh-keygen");
    private static final Path SSH = Path.of("/usr/bin/ssh");
    private static final Path SSHD = Path.of("/usr/sbin/sshd");
    /** The node's name as certified: its own name inside its namespace's part of the principal policy's domain. */
    private static final String NODE_NAME = "node-001.hpc.tether.internal";

    @TempDir
    Path dir;
    String apiKey;

    @BeforeEach
    void node() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(SSH_KEYGEN), "SKIPPED: " + SSH_KEYGEN + " is missing; install openssh-client");
        publishedImage("bookworm", DIGEST);
        profile("compute", "bookworm");
        create(credential("node-001", "compute", Arming.ONCE));
        apiKey = fetchKey("node-001");
    }

    @Test
    void sshKeygenReadsTheCertificatesWithTheNodesPrincipalsAndTheProfilesValidity() throws Exception {
        Path ed25519 = hostKey("ed25519");
        Path ecdsa = hostKey("ecdsa");

        HostCertificates signed = sign(ed25519, ecdsa);

        assertThat(signed.certificates()).hasSize(2);
        assertThat(signed.certificates().get(0)).startsWith("ssh-ed25519-cert-v01@openssh.com ");
        assertThat(signed.certificates().get(1)).startsWith("ecdsa-sha2-nistp256-cert-v01@openssh.com ");
        assertThat(signed.principals()).containsExactly(NODE_NAME, "node-001.cluster.example", "10.1.0.7", "login.cluster.example");
        assertThat(signed.caPublicKey()).isEqualTo(harness.operator().trust().sshCa().publicKey());
        Path cert = dir.resolve("ssh_host_ed25519_key-cert.pub");
        Files.writeString(cert, signed.certificates().get(0) + "\n");

        String listing = run(List.of(SSH_KEYGEN.toString(), "-L", "-f", cert.toString()), 0);

        assertThat(listing).contains("Type: ssh-ed25519-cert-v01@openssh.com host certificate");
        assertThat(principalsIn(listing)).containsExactly(NODE_NAME, "node-001.cluster.example", "10.1.0.7", "login.cluster.example");
        var valid = Pattern.compile("Valid: from (\\S+) to (\\S+)").matcher(listing);
        assertThat(valid.find()).as(listing).isTrue();
        Duration validity = Duration.between(LocalDateTime.parse(valid.group(1)), LocalDateTime.parse(valid.group(2)));
        assertThat(validity).as("the profile's 48h, starting 5 minutes early for slow node clocks").isEqualTo(Duration.ofHours(48).plusMinutes(5));
        var serial = Pattern.compile("Serial: (\\d+)").matcher(listing);
        assertThat(serial.find()).isTrue();
        var recorded = status("node-001").hostCertificates;
        assertThat(recorded).hasSize(2);
        assertThat(recorded.get(0).serial).isEqualTo(Long.parseLong(serial.group(1)));
        assertThat(recorded.get(0).keyType).isEqualTo("ssh-ed25519");
        assertThat(recorded.get(0).principals).contains(NODE_NAME);
        Path caFile = dir.resolve("ca.pub");
        Files.writeString(caFile, signed.caPublicKey() + "\n");
        String caFingerprint = run(List.of(SSH_KEYGEN.toString(), "-l", "-f", caFile.toString()), 0).split(" ")[1];
        assertThat(listing).contains("Signing CA: ED25519 " + caFingerprint);
    }

    @Test
    void aRealSshClientTrustingThePublishedLineLogsInToTheNodeAndRefusesTheCertificateForAnotherHost() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(SSHD) && Files.isExecutable(SSH),
                "SKIPPED: " + SSHD + " or " + SSH + " is missing; install openssh-server and openssh-client");
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "SKIPPED: sshd with privilege separation needs root; this test runs as " + System.getProperty("user.name"));
        Path hostKey = hostKey("ed25519");
        HostCertificates signed = sign(hostKey);
        Files.writeString(dir.resolve("ssh_host_ed25519_key-cert.pub"), signed.certificates().get(0) + "\n");
        run(List.of(SSH_KEYGEN.toString(), "-q", "-t", "ed25519", "-N", "", "-C", "admin", "-f", dir.resolve("admin").toString()), 0);
        Files.copy(dir.resolve("admin.pub"), dir.resolve("authorized_keys"));
        String published = harness.client.configMaps().inNamespace(OperatorHarness.OPERATOR_NAMESPACE).withName("tether-ssh-ca").get()
                .getData().get(SshCaPublication.KNOWN_HOSTS);
        Files.writeString(dir.resolve("known_hosts"), published);
        int port = freePort();
        Process sshd = startSshd(port, hostKey);
        try {
            awaitListening(port, sshd);

            String login = run(ssh(port, NODE_NAME), 0);
            assertThat(login).contains("tether-login-ok");

            for (String otherHost : List.of("node-002.hpc.tether.internal", "node-001", "github.com")) {
                String refused = run(ssh(port, otherHost), 255);
                assertThat(refused).as(otherHost).contains("Host key verification failed");
                assertThat(refused).doesNotContain("tether-login-ok");
            }
        } finally {
            sshd.destroy();
            sshd.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private HostCertificates sign(Path... hostKeys) throws Exception {
        var lines = new ArrayList<String>();
        for (Path key : hostKeys) {
            lines.add(Files.readString(Path.of(key + ".pub")).strip());
        }
        var response = api.post(NAMESPACE, "node-001", NodeApi.HOST_CERTIFICATES, apiKey, new HostKeys(lines));
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        return response.as(HostCertificates.class);
    }

    private Path hostKey(String type) throws Exception {
        Path key = dir.resolve("ssh_host_" + type + "_key");
        run(List.of(SSH_KEYGEN.toString(), "-q", "-t", type, "-N", "", "-C", "node-001", "-f", key.toString()), 0);
        return key;
    }

    private List<String> ssh(int port, String hostName) {
        return List.of(SSH.toString(), "-F", "/dev/null", "-p", Integer.toString(port), "-i", dir.resolve("admin").toString(),
                "-o", "HostKeyAlias=" + hostName,
                "-o", "UserKnownHostsFile=" + dir.resolve("known_hosts"),
                "-o", "GlobalKnownHostsFile=/dev/null",
                "-o", "StrictHostKeyChecking=yes",
                "-o", "BatchMode=yes",
                "-o", "IdentitiesOnly=yes",
                "-o", "ConnectTimeout=20",
                "root@127.0.0.1", "echo tether-login-ok");
    }

    private Process startSshd(int port, Path hostKey) throws Exception {
        // Privilege separation needs its empty directory; a fresh container may not have it.
        Files.createDirectories(Path.of("/run/sshd"));
        Path config = dir.resolve("sshd_config");
        Files.writeString(config, String.join("\n",
                "Port " + port,
                "ListenAddress 127.0.0.1",
                "HostKey " + hostKey,
                "HostCertificate " + hostKey + "-cert.pub",
                "PidFile " + dir.resolve("sshd.pid"),
                "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
                "StrictModes no",
                "UsePAM no",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PubkeyAuthentication yes",
                "PermitRootLogin prohibit-password",
                "") + "\n");
        run(List.of(SSHD.toString(), "-t", "-f", config.toString()), 0);
        return new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("sshd.log").toFile())
                .start();
    }

    private void awaitListening(int port, Process sshd) throws Exception {
        // Until it listens or exits: polled, with the patience of a busy machine.
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> !sshd.isAlive() || accepts(port));
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("sshd did not listen on port " + port + ": " + Files.readString(dir.resolve("sshd.log")));
        }
        if (!sshd.isAlive()) {
            throw new IllegalStateException("sshd exited: " + Files.readString(dir.resolve("sshd.log")));
        }
    }

    private static boolean accepts(int port) {
        try (var socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    private String run(List<String> command, int expectedExit) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String sshdLog = Files.exists(dir.resolve("sshd.log")) ? Files.readString(dir.resolve("sshd.log")) : "";
        assertThat(process.exitValue()).as("%s\n%s\nsshd: %s", command, output, sshdLog).isEqualTo(expectedExit);
        return output;
    }

    private static List<String> principalsIn(String listing) {
        var lines = listing.lines().toList();
        var principals = new ArrayList<String>();
        for (int i = lines.indexOf(lines.stream().filter(l -> l.strip().equals("Principals:")).findFirst().orElseThrow()) + 1;
             i < lines.size() && lines.get(i).startsWith("                "); i++) {
            principals.add(lines.get(i).strip());
        }
        return principals;
    }

    private static int freePort() throws IOException {
        try (var socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}

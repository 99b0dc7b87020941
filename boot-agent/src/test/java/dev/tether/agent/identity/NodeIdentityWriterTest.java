package dev.tether.agent.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.agent.AgentConsole;
import dev.tether.nodeapi.NodeIdentity;
import dev.tether.nodeapi.NodeIdentity.NodeFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's host name and node files written into a new root shaped like a Debian image, and the agent's own
 * judgement of the list it receives: links in the image never lead a write out of the root, and a list that breaks
 * the rules (or names an owner the image lacks, or a path blocked by the image) leaves the root as it was.
 */
class NodeIdentityWriterTest {
    @TempDir
    Path temp;

    private Path root;
    private Path outside;
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private NodeIdentityWriter writer;

    @BeforeEach
    void debianLikeRoot() throws IOException {
        // Owners and modes are set as root would at boot; chown needs root.
        assumeTrue("root".equals(System.getProperty("user.name")), "writes files owned by other users: run as root");
        root = Files.createDirectories(temp.resolve("sysroot"));
        outside = Files.createDirectories(temp.resolve("initramfs"));
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/hostname"), "vm\n");
        Files.writeString(root.resolve("etc/hosts"), "127.0.0.1\tlocalhost\n127.0.1.1\tvm\n\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/bash\nslurm:x:64030:64031::/var/lib/slurm:/bin/false\n");
        Files.writeString(root.resolve("etc/group"), "root:x:0:\nslurm:x:64031:\n");
        writer = new NodeIdentityWriter(root, new AgentConsole(new PrintStream(printed, true, StandardCharsets.UTF_8),
                Optional.empty(), false));
    }

    @Test
    void theNodeGetsItsNameAndItsFiles() throws IOException {
        writer.apply(new NodeIdentity("n07", "n07.cluster.example", List.of(
                new NodeFile("/etc/tether-node.conf", "0644", null, "node=n07\n"),
                new NodeFile("/etc/slurm/conf.d/node.conf", "0640", "slurm:slurm", "NodeName=n07\n"),
                new NodeFile("/etc/munge/node", "0600", "1000:1001", "n07\n")), null));

        assertThat(root.resolve("etc/hostname")).hasContent("n07");
        assertThat(Files.readString(root.resolve("etc/hosts"))).isEqualTo(
                "127.0.0.1\tlocalhost\n127.0.1.1\tn07.cluster.example n07\n\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        assertThat(root.resolve("etc/tether-node.conf")).hasContent("node=n07");
        assertThat(mode("etc/tether-node.conf")).isEqualTo("rw-r--r--");
        assertThat(owner("etc/tether-node.conf")).isEqualTo("0:0");
        Path slurm = root.resolve("etc/slurm/conf.d/node.conf");
        assertThat(slurm).hasContent("NodeName=n07");
        assertThat(mode("etc/slurm/conf.d/node.conf")).isEqualTo("rw-r-----");
        assertThat(owner("etc/slurm/conf.d/node.conf")).as("by name, from the image's own accounts").isEqualTo("64030:64031");
        assertThat(owner("etc/munge/node")).as("by number").isEqualTo("1000:1001");
        assertThat(mode("etc/munge/node")).isEqualTo("rw-------");
        assertThat(mode("etc/slurm")).as("a made directory").isEqualTo("rwxr-xr-x");
        assertThat(owner("etc/slurm/conf.d")).isEqualTo("0:0");
        assertThat(console()).contains("tether: node files written: /etc/tether-node.conf, /etc/slurm/conf.d/node.conf, /etc/munge/node")
                .contains("tether: host name n07 (n07.cluster.example)");
        try (Stream<Path> left = Files.list(root.resolve("etc"))) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(name -> name.endsWith(".tether-new"));
        }
    }

    @Test
    void aHostnameFromTheImageStaysAndNoIdentityChangesNothing() throws IOException {
        writer.apply(null);
        writer.apply(new NodeIdentity(null, "n1.example", List.of(), null));
        assertThat(root.resolve("etc/hostname")).hasContent("vm");
        assertThat(Files.readString(root.resolve("etc/hosts"))).contains("127.0.1.1\tvm\n");

        writer.apply(new NodeIdentity("-rm -rf", null, List.of(), null));
        assertThat(root.resolve("etc/hostname")).hasContent("vm");
        assertThat(console()).contains("the node API sent the host name '-rm -rf', which is not one; the image's stays");
    }

    @Test
    void aLinkInTheImageNeverLeadsAWriteOutOfTheRoot() throws IOException {
        // An image whose /etc/tether-dir points into the initramfs, as an absolute link resolves there before switch_root.
        Files.createSymbolicLink(root.resolve("etc/agent"), outside);
        writer.apply(new NodeIdentity("n1", null, List.of(
                new NodeFile("/etc/fine.conf", "0644", null, "fine\n"),
                new NodeFile("/etc/agent/api-key", "0644", null, "planted\n")), null));

        assertThat(outside).isEmptyDirectory();
        assertThat(root.resolve("etc/fine.conf")).as("the list is refused as a whole").doesNotExist();
        assertThat(console()).contains("tether: none of the 2 node files written: /etc/agent is a symbolic link in the"
                + " image, and node files are not written through links");
        assertThat(root.resolve("etc/hostname")).as("the host name does not depend on the files").hasContent("n1");
    }

    @Test
    void aLinkInTheFilesOwnPlaceIsReplacedNotWrittenThrough() throws IOException {
        Path target = Files.writeString(outside.resolve("resolv.conf"), "the initramfs's\n");
        Files.createSymbolicLink(root.resolve("etc/resolv.conf"), target);
        Files.delete(root.resolve("etc/hostname"));
        Path hostnameTarget = Files.writeString(outside.resolve("hostname"), "initramfs\n");
        Files.createSymbolicLink(root.resolve("etc/hostname"), hostnameTarget);

        writer.apply(new NodeIdentity("n1", null, List.of(new NodeFile("/etc/resolv.conf", "0644", null, "nameserver 10.0.0.53\n")), null));

        assertThat(target).hasContent("the initramfs's");
        assertThat(hostnameTarget).hasContent("initramfs");
        assertThat(Files.isSymbolicLink(root.resolve("etc/resolv.conf"))).isFalse();
        assertThat(root.resolve("etc/resolv.conf")).hasContent("nameserver 10.0.0.53");
        assertThat(Files.isSymbolicLink(root.resolve("etc/hostname"))).isFalse();
        assertThat(root.resolve("etc/hostname")).hasContent("n1");
    }

    @Test
    void aListThatBreaksTheRulesIsRefusedWhole() throws IOException {
        List<List<NodeFile>> hostile = List.of(
                List.of(new NodeFile("/etc/ok", "0644", null, "x"), new NodeFile("/proc/sys/kernel/core_pattern", "0644", null, "|/bin/sh")),
                List.of(new NodeFile("/etc/ok", "0644", null, "x"), new NodeFile("/run/tether/api-key", "0600", null, "x")),
                List.of(new NodeFile("/etc/ok", "0644", null, "x"), new NodeFile("/etc/../root/.ssh/authorized_keys", "0600", null, "x")),
                List.of(new NodeFile("/etc/ok", "0644", null, "x"), new NodeFile("/usr/local/bin/sh", "4755", null, "x")),
                List.of(new NodeFile("/etc/ok", "0644", null, "x"), new NodeFile("/etc/shadow", "0640", null, "root::0:0:::::")),
                List.of(new NodeFile("/etc/ok", "0644", null, "x"), new NodeFile("/etc/x", "0644", null, "x".repeat(64 * 1024 + 1))),
                List.of(new NodeFile("/etc/ok", "0644", null, "x"), new NodeFile("/etc/ok", "0644", null, "y")),
                List.of(new NodeFile("/etc/ok", "0644", null, "x"), new NodeFile("/etc/unknown-owner", "0644", "nobody2:nogroup2", "x")),
                List.of(new NodeFile("/etc/ok", "0644", null, "x"), new NodeFile("/etc/passwd/x", "0644", null, "x")),
                tooMany());
        List<String> refusals = new ArrayList<>();
        for (List<NodeFile> files : hostile) {
            printed.reset();
            writer.apply(new NodeIdentity(null, null, files, null));
            assertThat(root.resolve("etc/ok")).as(files.get(files.size() - 1).path()).doesNotExist();
            refusals.add(console().strip());
        }
        assertThat(refusals).containsExactly(
                "tether: none of the 2 node files written: '/proc/sys/kernel/core_pattern' is under /proc, which the node's init mounts over or the agent uses",
                "tether: none of the 2 node files written: '/run/tether/api-key' is under /run, which the node's init mounts over or the agent uses",
                "tether: none of the 2 node files written: '/etc/../root/.ssh/authorized_keys' is not normalised: no . or .. components",
                "tether: none of the 2 node files written: /usr/local/bin/sh: the mode '4755' is not three octal digits (0644): set-user-ID, set-group-ID and sticky bits are not allowed",
                "tether: none of the 2 node files written: '/etc/shadow' is written by the Tether agent at every boot (the host name comes from spec.hostname, the root password and SSH files from spec.rootPasswordHash and spec.ssh)",
                "tether: none of the 2 node files written: /etc/x: the rendered file is larger than 64 KiB",
                "tether: none of the 2 node files written: /etc/ok is listed twice",
                "tether: none of the 2 node files written: /etc/unknown-owner is to be owned by nobody2:nogroup2, whom the image's /etc/passwd or /etc/group does not know",
                "tether: none of the 2 node files written: /etc/passwd is not a directory in the image",
                "tether: none of the 33 node files written: 33 node files, more than the 32 allowed");
        assertThat(root.resolve("etc/shadow")).doesNotExist();
    }

    @Test
    void whatTheOperatorCouldNotRenderIsSaidOnTheConsole() {
        writer.apply(new NodeIdentity("n1", null, List.of(), "/etc/slurm/node.conf: No method or field with name 'rack' on line 1"));
        assertThat(console()).contains("tether: the node API sent none of the profile's node files: /etc/slurm/node.conf:"
                + " No method or field with name 'rack' on line 1 (see the NodeProfile's NodeIdentityRendered condition)");
        assertThat(root.resolve("etc/hostname")).hasContent("n1");
    }

    private static List<NodeFile> tooMany() {
        List<NodeFile> files = new ArrayList<>();
        files.add(new NodeFile("/etc/ok", "0644", null, "x"));
        for (int i = 0; i < 32; i++) {
            files.add(new NodeFile("/etc/f" + i, "0644", null, "x"));
        }
        return files;
    }

    private String mode(String relative) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve(relative), LinkOption.NOFOLLOW_LINKS));
    }

    private String owner(String relative) throws IOException {
        Path path = root.resolve(relative);
        return Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS) + ":" + Files.getAttribute(path, "unix:gid", LinkOption.NOFOLLOW_LINKS);
    }

    private String console() {
        return printed.toString(StandardCharsets.UTF_8);
    }
}

package dev.tether.agent.trust;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.HostRequirements;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each host key type, read back by the real ssh-keygen. */
class HostKeyTest {
    @TempDir
    Path temp;

    @ParameterizedTest
    @ValueSource(strings = {"ed25519", "ecdsa", "rsa"})
    void sshKeygenReadsTheKeyAndDerivesTheSamePublicKey(String type) throws Exception {
        HostRequirements.tools("ssh-keygen");
        HostKey key = HostKey.generate(type, new SecureRandom(), "root@n1");
        assertThat(key.toString()).doesNotContain("PRIVATE");
        Path file = temp.resolve(key.fileName());
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, key.privateKeyFile());
        Files.writeString(temp.resolve(key.fileName() + ".pub"), key.publicKeyLine() + "\n");

        String bits = switch (type) {
            case "ed25519" -> "256";
            case "ecdsa" -> "256";
            default -> "3072";
        };
        assertThat(run("ssh-keygen", "-l", "-f", temp.resolve(key.fileName() + ".pub").toString()))
                .matches(bits + " SHA256:\\S+ root@n1 \\(" + type.toUpperCase() + "\\)\\s*");
        // -y reads the private key itself and prints its public key: the same key as the line.
        String derived = run("ssh-keygen", "-y", "-f", file.toString()).strip();
        assertThat(key.publicKeyLine()).startsWith(derived.split(" ")[0] + " " + derived.split(" ")[1]);
        assertThat(key.algorithm()).isEqualTo(switch (type) {
            case "ed25519" -> "ssh-ed25519";
            case "ecdsa" -> "ecdsa-sha2-nistp256";
            default -> "ssh-rsa";
        });
    }

    static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + ": " + output).isZero();
        return output;
    }
}

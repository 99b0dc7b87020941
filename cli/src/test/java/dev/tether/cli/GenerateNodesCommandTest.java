package dev.tether.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.SchemaValidator;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeCredentialSpec;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code tether nodes generate}: the YAML an administrator applies, and the mistakes it refuses to write. */
class GenerateNodesCommandTest {
    @TempDir
    Path dir;

    record Run(int status, String out, String err) {
    }

    @Test
    void aRangeAndAMacFileBecomeNodeCredentialsTheApiServerAccepts() throws Exception {
        Path macs = Files.writeString(dir.resolve("rack12.txt"), """
                # rack 12, from the switch's MAC table
                52:54:00:12:00:01
                52-54-00-12-00-02

                52:54:00:12:00:0A
                """);

        Run run = run("nodes", "generate", "--profile", "compute", "-n", "hpc", "--prefix", "cn", "--range", "009-011",
                "--macs", macs.toString(), "--domain", "cluster.example");

        assertThat(run.status()).as(run.err()).isZero();
        List<NodeCredential> credentials = parse(run.out());
        assertThat(credentials).extracting(c -> c.getMetadata().getName()).containsExactly("cn009", "cn010", "cn011");
        assertThat(credentials).extracting(c -> c.getSpec().hardware.macs.getFirst())
                .containsExactly("52:54:00:12:00:01", "52:54:00:12:00:02", "52:54:00:12:00:0a");
        NodeCredential first = credentials.getFirst();
        assertThat(first.getMetadata().getNamespace()).isEqualTo("hpc");
        assertThat(first.getSpec().profile).isEqualTo("compute");
        assertThat(first.getSpec().fqdn).isEqualTo("cn009.cluster.example");
        assertThat(first.getSpec().arming).isEqualTo(NodeCredentialSpec.Arming.ONCE);
        // What the API server would say: the generated CRD's schema and CEL rules.
        var validator = SchemaValidator.forCrd(Files.readString(Path.of("..", "crds", "nodecredentials.tether.dev-v1.yml")));
        for (String document : run.out().split("(?m)^---\\s*$")) {
            if (!document.isBlank()) {
                assertThat(validator.validate(document)).as(document).isEmpty();
            }
        }
        assertThat(run.err()).contains("3 NodeCredentials for profile hpc/compute");
    }

    @Test
    void aMacFileMayNameItsNodesAndTheOutputCanGoToAFile() throws Exception {
        Path macs = Files.writeString(dir.resolve("named.csv"), "gpu-a,0c:c4:7a:00:00:01\ngpu-b 0c:c4:7a:00:00:02\n");
        Path out = dir.resolve("gpu.yaml");

        Run run = run("nodes", "generate", "--profile", "gpu", "-n", "hpc", "--macs", macs.toString(), "--arming", "continuous",
                "-o", out.toString());

        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.out()).isEmpty();
        List<NodeCredential> credentials = parse(Files.readString(out));
        assertThat(credentials).extracting(c -> c.getSpec().nodeName).containsExactly("gpu-a", "gpu-b");
        assertThat(credentials).allSatisfy(c -> {
            assertThat(c.getSpec().arming).isEqualTo(NodeCredentialSpec.Arming.CONTINUOUS);
            assertThat(c.getSpec().tpm).as("continuous arming is for machines without a TPM").isEqualTo(NodeCredentialSpec.Tpm.ABSENT);
        });
    }

    @Test
    void mistakesAreReportedTogetherWithTheirLinesAndNothingIsWritten() throws Exception {
        Path macs = Files.writeString(dir.resolve("bad.txt"), "52:54:00:12:00:01\nnot-a-mac\n52:54:00:12:00:01\n");

        Run run = run("nodes", "generate", "--profile", "compute", "-n", "hpc", "--prefix", "cn", "--range", "1-3",
                "--macs", macs.toString());

        assertThat(run.status()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("bad.txt:2: not a MAC address").contains("--range 1-3 names 3 nodes and")
                .doesNotContain("Exception");
    }

    @Test
    void aRangeThatCountsDownOrARackOfDuplicatesIsRefused() throws Exception {
        Path macs = Files.writeString(dir.resolve("dup.txt"), "52:54:00:12:00:01\n52:54:00:12:00:01\n");

        Run down = run("nodes", "generate", "--profile", "compute", "-n", "hpc", "--prefix", "cn", "--range", "010-001",
                "--macs", macs.toString());
        Run duplicate = run("nodes", "generate", "--profile", "compute", "-n", "hpc", "--prefix", "cn", "--range", "1-2",
                "--macs", macs.toString());
        Run badName = run("nodes", "generate", "--profile", "compute", "-n", "hpc", "--prefix", "CN_", "--range", "1-2",
                "--macs", macs.toString());
        Run missing = run("nodes", "generate", "--profile", "compute", "-n", "hpc", "--prefix", "cn", "--range", "1-2",
                "--macs", dir.resolve("absent.txt").toString());

        assertThat(down.err()).contains("--range 010-001 must count up");
        assertThat(duplicate.err()).contains("dup.txt:2: MAC 52:54:00:12:00:01 again (line 1)");
        assertThat(badName.err()).contains("CN_1 is not a node name");
        assertThat(missing.err()).contains("absent.txt: no such file");
        assertThat(List.of(down, duplicate, badName, missing)).allSatisfy(r -> {
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.out()).isEmpty();
        });
    }

    private static Run run(String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        var cli = new CommandLine(new TetherCli());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int status = TetherCli.configure(cli).execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    private static List<NodeCredential> parse(String yaml) {
        var serialization = new KubernetesSerialization();
        return Arrays.stream(yaml.split("(?m)^---\\s*$")).filter(d -> !d.isBlank())
                .map(d -> serialization.unmarshal(d, NodeCredential.class)).toList();
    }
}

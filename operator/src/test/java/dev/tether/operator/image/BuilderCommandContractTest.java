package dev.tether.operator.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.api.v1alpha1.DisklessImageSpec;
import dev.tether.imgutil.Imgutil;
import dev.tether.imgutil.spec.ImageSpec;
import dev.tether.operator.OperatorConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The builder Job's command line is one that imgutil's own CLI accepts, for both encryption modes and an OCI source
 * with a pull Secret; and the spec the Job mounts reads in imgutil as the DisklessImage's descriptions promise.
 */
class BuilderCommandContractTest {
    @TempDir
    Path dir;

    @Test
    void imgutilAcceptsTheCommandOfAnEncryptedAndOfAnUnencryptedBuild() {
        var config = OperatorConfig.of("builder", "content-server", "http://origin:8080", "tether-system");
        var image = DisklessImageReconcilerTest.newImage("bookworm", List.of("openssh-server"));
        assertParses(BuildJob.desired(image, 1, "bookworm-key-g1", config).getSpec().getTemplate().getSpec().getContainers().getFirst().getCommand());
        image.getSpec().encryption = DisklessImageSpec.Encryption.DISABLED;
        assertParses(BuildJob.desired(image, 1, null, config).getSpec().getTemplate().getSpec().getContainers().getFirst().getCommand());
        var oci = DisklessImageReconcilerTest.newOciImage("compute", "registry.example.org/hpc/compute:1", "regcred");
        assertParses(BuildJob.desired(oci, 1, "compute-key-g1", config).getSpec().getTemplate().getSpec().getContainers().getFirst().getCommand());
    }

    @Test
    void aRepositoryGivenWithoutComponentsIsBuiltWithMain() throws Exception {
        var image = DisklessImageReconcilerTest.newImage("bookworm", List.of());
        var repository = new DisklessImageSpec.Repository();
        repository.url = "http://apt.example.org/debian";
        image.getSpec().repositories = List.of(repository);

        // What the builder Job mounts: the spec as the operator writes it, every list included.
        String json = BuildJob.specConfigMap(image, 1).getData().get("spec.json");
        Path specFile = Files.writeString(dir.resolve("spec.json"), json);

        assertThat(ImageSpec.read(specFile).repositoryLines())
                .containsExactly("deb http://apt.example.org/debian bookworm main");
    }

    private static void assertParses(List<String> command) {
        assertThat(command.getFirst()).isEqualTo("imgutil");
        String[] args = command.subList(1, command.size()).toArray(String[]::new);
        var sink = new PrintStream(new ByteArrayOutputStream());
        var parsed = new CommandLine(new Imgutil(sink, sink)).parseArgs(args);
        assertThat(parsed.subcommand()).as("imgutil subcommand for " + Arrays.toString(args)).isNotNull();
        assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("run-spec");
        assertThat(parsed.subcommand().unmatched()).isEmpty();
    }
}

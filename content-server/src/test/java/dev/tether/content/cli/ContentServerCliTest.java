package dev.tether.content.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Configuration errors end in one line on stderr and a non-zero exit. */
class ContentServerCliTest {
    @TempDir
    Path dir;

    record Result(int code, String err) {
    }

    Result run(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ContentServerCli.run(args, new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, err.toString(StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            ''                                                                  | name a role
            origin                                                              | Missing required options
            origin --store S --token-file missing-token                        | no such file
            origin --store S --token-file TOKEN --port 99999                    | out of range
            origin --store S --token-file TOKEN --grace-period soon             | not a duration
            edge --cache C --quota lots --origin http://o                       | not a size
            edge --cache C --quota 1G --origin ftp://o                          | not an http(s) URL
            edge --cache C --quota 1G --origin http://o --api-port 0            | --node-api
            origin --store S --token-file TOKEN --tls-cert TOKEN                | go together
            edge --cache C --quota 1G --origin http://o --prefetch-token-file missing-token | no such file
            edge --cache C --quota 1G --origin http://o --prefetch-token-file EMPTY | is empty
            edge --cache C --quota 1G --origin http://o --fill-peer-min-rate 0  | minimum rate must be positive
            """)
    void aConfigurationErrorIsOneLineAndExitTwo(String args, String message) throws Exception {
        Files.writeString(dir.resolve("token"), "secret\n");
        Files.writeString(dir.resolve("empty"), "\n");
        String[] argv = args.isEmpty() ? new String[0] : args.replace("TOKEN", dir.resolve("token").toString())
                .replace("EMPTY", dir.resolve("empty").toString())
                .replace(" S ", " " + dir.resolve("s") + " ").replace(" C ", " " + dir.resolve("c") + " ")
                .replace("missing-token", dir.resolve("missing").toString()).split(" ");
        Result r = run(argv);
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("content-server: ").contains(message).doesNotContain("secret");
        assertThat(r.err().strip().lines()).hasSize(1);
    }

    @Test
    void aPortInUseFailsToStartWithOneLine() throws Exception {
        Files.writeString(dir.resolve("token"), "secret\n");
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Result r = run("origin", "--store", dir.resolve("s").toString(), "--token-file", dir.resolve("token").toString(),
                    "--bind", "127.0.0.1", "--port", Integer.toString(taken.getLocalPort()));
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err()).startsWith("content-server: cannot listen on");
            assertThat(r.err().strip().lines()).hasSize(1);
        }
    }

    /** The same rules as a NodeProfile's: G is decimal, Gi binary, and durations may combine units. */
    @Test
    void sizesAndDurationsReadAsKubernetesReadsThem() {
        EdgeCommand edge = new EdgeCommand();
        new picocli.CommandLine(edge).parseArgs("--cache", "C", "--origin", "http://o", "--quota", "200G",
                "--api-idle-timeout", "1h30m", "--send-timeout", "500ms");
        assertThat(edge.quota).isEqualTo(200_000_000_000L);
        assertThat(edge.apiIdle).isEqualTo(java.time.Duration.ofMinutes(90));
        assertThat(edge.common.sendTimeout).isEqualTo(java.time.Duration.ofMillis(500));
        new picocli.CommandLine(edge).parseArgs("--cache", "C", "--origin", "http://o", "--quota", "20Gi");
        assertThat(edge.quota).isEqualTo(20L << 30);
        assertThat(run("edge", "--cache", "C", "--quota", "1G", "--origin", "http://o", "--grace-period=-5s").err())
                .contains("'-5s' is negative");
    }
}

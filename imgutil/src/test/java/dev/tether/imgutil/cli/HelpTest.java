package dev.tether.imgutil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.imgutil.Imgutil;
import java.io.PrintStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** --help is complete: every subcommand is listed, and each one's help names every option it accepts. */
class HelpTest {
    private static final List<String> SUBCOMMANDS = List.of("build", "exec", "pack", "unpack", "clone", "capture", "publish",
            "inspect", "run-spec");

    @Test
    void topLevelHelpListsEverySubcommand() {
        CliRun run = CliRun.of("--help");
        assertThat(run.status()).isZero();
        assertThat(run.out()).startsWith("Usage: imgutil [-hV] [COMMAND]");
        for (String name : SUBCOMMANDS) {
            assertThat(run.out()).containsPattern("(?m)^\\s+" + name + "\\s+\\S");
        }
    }

    @Test
    void everySubcommandHelpDescribesEveryOption() {
        CommandLine root = new CommandLine(new Imgutil(new PrintStream(PrintStream.nullOutputStream()),
                new PrintStream(PrintStream.nullOutputStream())));
        for (String name : SUBCOMMANDS) {
            CliRun run = CliRun.of(name, "--help");
            assertThat(run.status()).as(name).isZero();
            CommandSpec spec = root.getSubcommands().get(name).getCommandSpec();
            for (OptionSpec option : spec.options()) {
                assertThat(run.out()).as("help of %s", name).contains(option.longestName());
                assertThat(option.description()).as("%s %s", name, option.longestName()).isNotEmpty();
            }
            spec.positionalParameters().forEach(parameter ->
                    assertThat(run.out()).as("help of %s", name).contains(parameter.paramLabel()));
        }
    }

    @Test
    void versionNamesTheBuilder() {
        CliRun run = CliRun.of("--version");
        assertThat(run.status()).isZero();
        assertThat(run.out()).startsWith("imgutil ").contains("root image format 1").doesNotContain("unknown");
    }
}

package dev.tether.imgutil.cli;

import dev.tether.imgutil.Imgutil;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** One in-process run of the imgutil command line, with what it printed. */
public record CliRun(int status, String out, String err) {
    public static CliRun of(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Imgutil.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new CliRun(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The lines of stderr that are not progress or log lines (those start with a time or WARNING). */
    public String errorLine() {
        return err.lines().filter(line -> line.startsWith("imgutil: ")).reduce((first, second) -> second).orElse("");
    }
}

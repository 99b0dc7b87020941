package dev.tether.agent;

import dev.tether.agent.cli.TetherAgent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/** One in-process run of the agent program: its exit status and everything it printed. */
public record AgentRun(int status, String output) {

    public static AgentRun of(AgentServices services, String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int status = TetherAgent.run(args, out, services, Optional.empty());
        return new AgentRun(status, bytes.toString(StandardCharsets.UTF_8));
    }

    /** The {@code tether: error:} lines. */
    public List<String> errors() {
        return output.lines().filter(line -> line.startsWith("tether: error:")).toList();
    }
}

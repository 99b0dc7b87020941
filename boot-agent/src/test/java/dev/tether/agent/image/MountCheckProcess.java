package dev.tether.agent.image;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** Starts {@link MountCheck} in a private mount namespace and collects what it reports. */
final class MountCheckProcess {
    final List<String> lines = new CopyOnWriteArrayList<>();

    /**
     * Runs the check to its end, calling {@code onLine} with each line as it comes (the test's chance to
     * kill or restart edges at the right moment).
     */
    void run(List<String> arguments, Consumer<String> onLine, long timeoutSeconds) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx512m",
                "-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
                MountCheck.class.getName()));
        command.addAll(arguments);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Thread reader = Thread.ofPlatform().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    lines.add(line);
                    if (!line.startsWith("PROGRESS")) {
                        System.out.println("[mount check] " + line);
                    }
                    onLine.accept(line);
                }
            } catch (IOException e) {
                lines.add("ERROR reading the child's output: " + e);
            }
        });
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("the mount check did not finish within " + timeoutSeconds + " s; its last lines: "
                    + lines.subList(Math.max(0, lines.size() - 10), lines.size()));
        }
        reader.join(5000);
    }

    String first(String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("the mount check reported no " + prefix + " line; it said: " + lines));
    }

    /** The counts of the RESULT line: files, mismatches, errors. */
    long[] result() {
        String[] parts = first("RESULT").split(" ");
        return new long[]{Long.parseLong(parts[1]), Long.parseLong(parts[2]), Long.parseLong(parts[3])};
    }
}

package dev.tether.operator.nodeapi;

import dev.tether.tpm.Swtpm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Two software TPMs, a genuine node's and a thief's: manufactured once per test class (swtpm_setup takes seconds),
 * and started for each test from fresh copies of their state.
 */
record TwoTpms(Swtpm genuine, Swtpm thief) implements AutoCloseable {

    /** Makes both TPMs' state under {@code factory}; skips the test class where swtpm is missing. */
    static void manufacture(Path factory) throws Exception {
        Swtpm.assumeAvailable();
        Swtpm.manufacture(factory.resolve("genuine"));
        Swtpm.manufacture(factory.resolve("thief"));
    }

    /** Both TPMs running on copies of what {@link #manufacture} made, in {@code dir}. */
    static TwoTpms start(Path factory, Path dir) throws Exception {
        Swtpm genuine = Swtpm.start(copy(factory, dir, "genuine"));
        try {
            return new TwoTpms(genuine, Swtpm.start(copy(factory, dir, "thief")));
        } catch (Exception | Error e) {
            genuine.close();
            throw e;
        }
    }

    private static Path copy(Path factory, Path dir, String tpm) throws IOException {
        Path state = Files.createDirectories(dir.resolve(tpm));
        try (var files = Files.list(factory.resolve(tpm))) {
            for (Path file : files.toList()) {
                Files.copy(file, state.resolve(file.getFileName()));
            }
        }
        return state;
    }

    @Override
    public void close() {
        genuine.close();
        thief.close();
    }
}

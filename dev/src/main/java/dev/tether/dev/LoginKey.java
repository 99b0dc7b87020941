package dev.tether.dev;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The SSH key the tests log in to the VM with: made once per machine next to the image cache (its public
 * half is part of the cached image's spec, so a new key would mean a new image build).
 */
public record LoginKey(Path privateKey, String publicKey) {

    public static synchronized LoginKey get() throws IOException, InterruptedException {
        Path dir = Path.of(ImageCache.CACHE_ROOT, "e2e-ssh");
        Path key = dir.resolve("id_ed25519");
        if (!Files.exists(key)) {
            Files.createDirectories(dir);
            Process keygen = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "tether-e2e",
                    "-f", key.toString()).inheritIO().start();
            if (keygen.waitFor() != 0) {
                throw new IOException("ssh-keygen failed to make " + key);
            }
        }
        return new LoginKey(key, Files.readString(dir.resolve("id_ed25519.pub")).strip());
    }
}

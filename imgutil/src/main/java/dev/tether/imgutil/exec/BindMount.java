package dev.tether.imgutil.exec;

import dev.tether.imgutil.UserError;
import java.nio.file.Files;
import java.nio.file.Path;

/** A host path made visible inside the tree during {@code exec}: {@code SRC[:DST]}, DST defaulting to SRC. */
public record BindMount(Path source, String target) {
    public static BindMount parse(String spec) {
        int colon = spec.indexOf(':');
        String source = colon < 0 ? spec : spec.substring(0, colon);
        String target = colon < 0 ? source : spec.substring(colon + 1);
        if (source.isEmpty() || target.isEmpty()) {
            throw new UserError("--bind wants SRC[:DST], not '" + spec + "'");
        }
        Path sourcePath = Path.of(source).toAbsolutePath().normalize();
        if (!Files.exists(sourcePath)) {
            throw new UserError("--bind source " + sourcePath + " does not exist");
        }
        if (!target.startsWith("/")) {
            target = sourcePath.toString();
        }
        String normalized = Path.of(target).normalize().toString();
        if (normalized.equals("/") || normalized.startsWith("/..")) {
            throw new UserError("--bind destination must be a path inside the tree, not '" + target + "'");
        }
        return new BindMount(sourcePath, normalized);
    }

    @Override
    public String toString() {
        return source + ":" + target;
    }
}

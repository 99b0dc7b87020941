package dev.tether.imgutil.cli;

import dev.tether.imgutil.UserError;
import dev.tether.imgutil.spec.SpecRunner;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** Where publish and run-spec upload to: the origin and its upload token, checked the same way for both. */
public final class OriginOptions {
    @Option(names = "--origin", paramLabel = "URL", description = "The origin content server, e.g. https://origin:8443.")
    String origin;

    @Option(names = {"--token-file", "--token"}, paramLabel = "FILE",
            description = "File holding the origin's upload token; required with --origin.")
    Path tokenFile;

    /** Picocli's usage error, for a command that must publish: the options it lacks, in picocli's words. */
    void requireForPublishing(CommandSpec command) {
        List<String> missing = new ArrayList<>();
        if (origin == null) {
            missing.add("'--origin=URL'");
        }
        if (tokenFile == null) {
            missing.add("'--token-file=FILE'");
        }
        if (!missing.isEmpty()) {
            throw new ParameterException(command.commandLine(),
                    "Missing required option" + (missing.size() > 1 ? "s: " : ": ") + String.join(", ", missing));
        }
    }

    /** True when --origin was given. */
    boolean publishing() {
        return origin != null;
    }

    /** The origin URL, or null without --origin. */
    URI originUri() {
        if (origin == null) {
            return null;
        }
        try {
            URI uri = URI.create(origin);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("not http(s)");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new UserError("--origin '" + origin + "' is not an http:// or https:// URL");
        }
    }

    Path tokenFile() {
        return tokenFile;
    }

    /** The token, read from --token-file; a clear error when it is missing or malformed. */
    String token() {
        return SpecRunner.readTokenFile(tokenFile);
    }
}

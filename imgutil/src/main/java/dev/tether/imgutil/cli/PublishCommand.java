package dev.tether.imgutil.cli;

import dev.tether.imgutil.Imgutil;
import dev.tether.imgutil.UserError;
import dev.tether.imgutil.publish.Publisher;
import dev.tether.imgutil.spec.SpecRunner;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "publish", sortOptions = false, usageHelpAutoWidth = true, mixinStandardHelpOptions = true,
        description = {"Upload the output of pack to the origin content server.", "",
            "Uploads the output of pack to the origin content server: each artifact by HTTP PUT to "
                + "/blobs/sha256/<hex> with the bearer token, skipping those the origin already has, the manifest "
                + "last. Prints the image digest on stdout."})
public final class PublishCommand implements Callable<Integer> {
    @ParentCommand
    Imgutil parent;

    @Parameters(index = "0", paramLabel = "OUTDIR", description = "An output directory of pack.")
    Path outDir;

    @Option(names = "--origin", required = true, paramLabel = "URL", description = "The origin, e.g. https://origin:8443.")
    String origin;

    @Option(names = {"--token", "--token-file"}, required = true, paramLabel = "FILE",
            description = "File holding the origin's upload token.")
    Path tokenFile;

    @Override
    public Integer call() {
        URI uri = OriginUri.parse(origin);
        String token = SpecRunner.readTokenFile(tokenFile);
        parent.out().println(new Publisher(parent.console()).publish(outDir, uri, token));
        return 0;
    }

    /** Checks an origin URL once, for publish and run-spec. */
    static final class OriginUri {
        private OriginUri() {
        }

        static URI parse(String text) {
            try {
                URI uri = URI.create(text);
                if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                    throw new IllegalArgumentException("not http(s)");
                }
                return uri;
            } catch (IllegalArgumentException e) {
                throw new UserError("--origin '" + text + "' is not an http:// or https:// URL");
            }
        }
    }
}

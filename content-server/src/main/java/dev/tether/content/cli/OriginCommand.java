package dev.tether.content.cli;

import dev.tether.content.origin.OriginServer;
import dev.tether.content.store.BearerToken;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "origin", mixinStandardHelpOptions = true,
        description = "Serve and accept content-addressed artifacts (the store of record).")
final class OriginCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--store", required = true, description = "Directory of the store (a persistent volume).")
    Path store;

    @Option(names = "--token-file", required = true, description = "File holding the upload/delete bearer token (a mounted Secret).")
    Path tokenFile;

    @Option(names = "--max-upload", defaultValue = "64Gi", converter = UnitConverters.ByteSize.class,
            description = "Largest upload accepted (default: ${DEFAULT-VALUE}).")
    long maxUpload;

    @Override
    public Integer call() throws Exception {
        OriginServer server = OriginServer.start(new OriginServer.Config(store, BearerToken.fromFile(tokenFile),
                common.address(common.port), common.tls(), common.http().withMaxUploadBytes(maxUpload), common.ioThreads));
        return ContentServerCli.runUntilStopped(server.runtime(), common.grace);
    }
}

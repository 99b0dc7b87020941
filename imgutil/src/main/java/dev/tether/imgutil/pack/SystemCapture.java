package dev.tether.imgutil.pack;

import dev.tether.imgutil.UserError;
import dev.tether.imgutil.util.Console;
import dev.tether.imgutil.util.ProcessRunner;
import dev.tether.imgutil.util.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code imgutil capture}: a tree from a running system, this host's or another's over SSH
 * ({@code HOST:/}), to pack as an image. rsync keeps hard links, ACLs, xattrs and numeric ids, stays on
 * the root filesystem, and leaves out what belongs to the running system rather than the image (the
 * same paths pack leaves out). The tree appears under its name only when complete.
 */
public final class SystemCapture {
    private final Console console;
    private final ProcessRunner runner;

    public SystemCapture(Console console, ProcessRunner runner) {
        this.console = console;
        this.runner = runner;
    }

    /** @param source a local directory, or {@code [USER@]HOST:PATH} for a remote system over SSH */
    public void capture(String source, Path target) {
        Tools.require("rsync");
        boolean remote = source.matches("[^/]+:.*");
        if (!remote && !Files.isDirectory(Path.of(source))) {
            throw new UserError("capture source " + source + " is not a directory (or HOST:PATH)");
        }
        if (Files.exists(target)) {
            throw new UserError(target + " already exists; capture makes a new tree");
        }
        Path absolute = target.toAbsolutePath().normalize();
        Path partial = absolute.resolveSibling("." + absolute.getFileName() + ".partial");
        try {
            Files.createDirectories(absolute.getParent());
        } catch (IOException e) {
            throw new UserError("cannot create " + absolute.getParent() + ": " + e.getMessage());
        }
        runner.run("removing an old partial capture", List.of("rm", "-rf", "--one-file-system", partial.toString()));
        List<String> command = new ArrayList<>(List.of("rsync", "-aHAX", "--numeric-ids", "--one-file-system",
                "--delete"));
        for (String pattern : RootExclusions.PATTERNS) {
            command.add("--exclude=/" + pattern);
        }
        if (remote) {
            command.add("--rsh=ssh");
        }
        command.add(source.endsWith("/") ? source : source + "/");
        command.add(partial + "/");
        console.info("capturing " + source + " into " + target);
        runner.run("rsync", command);
        try {
            Files.move(partial, absolute);
        } catch (IOException e) {
            throw new UserError("cannot rename " + partial + " to " + absolute + ": " + e.getMessage());
        }
    }
}

package dev.tether.imgutil.pack;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The mksquashfs command line for a root image, shared by {@code pack} and the benchmark. */
public final class SquashfsMaker {
    private SquashfsMaker() {
    }

    /**
     * @param showProgress mksquashfs's own progress bar, for a terminal; a Job's log gets its summary only
     */
    public static List<String> command(Path root, Path output, Compression compression, boolean showProgress) {
        return command(root, output, compression, showProgress, null);
    }

    /** @param sortFile mksquashfs's {@code -sort} file (see {@link BootOrder}), or null */
    public static List<String> command(Path root, Path output, Compression compression, boolean showProgress,
            Path sortFile) {
        List<String> command = new ArrayList<>(List.of("mksquashfs", root.toString(), output.toString(),
                "-noappend", "-comp", compression.cliName(), "-xattrs",
                "-p", RootExclusions.machineIdPseudoFile()));
        command.add(showProgress ? "-progress" : "-no-progress");
        if (sortFile != null) {
            command.add("-sort");
            command.add(sortFile.toString());
        }
        // -e takes every argument after it, so it comes last.
        command.add("-wildcards");
        command.add("-e");
        command.addAll(RootExclusions.PATTERNS);
        return command;
    }
}

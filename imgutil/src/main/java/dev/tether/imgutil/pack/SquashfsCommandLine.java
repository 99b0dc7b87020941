package dev.tether.imgutil.pack;

import java.nio.file.Path;

/**
 * Prints the mksquashfs command line pack would run, NUL-separated, for the benchmark
 * (imgutil/bench/pack-bench.sh) so that it times bare mksquashfs with exactly pack's options.
 */
public final class SquashfsCommandLine {
    private SquashfsCommandLine() {
    }

    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: SquashfsCommandLine TREE OUTPUT zstd|xz|lz4");
            System.exit(2);
        }
        for (String part : SquashfsMaker.command(Path.of(args[0]), Path.of(args[1]), Compression.parse(args[2]), false)) {
            System.out.print(part);
            System.out.print('\0');
        }
    }
}

package dev.tether.imgutil.pack;

import dev.tether.imgutil.UserError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The files a booting node reads, in the order it first reads them (one absolute path per line, as the operator
 * keeps it from a node's report; {@code #} starts a comment): {@code pack --boot-order} gives them to mksquashfs's
 * {@code -sort} with falling priorities, so their data is written first, in that order, and a tethered boot reads
 * one contiguous run at the front of the image instead of chunks spread over all of it.
 *
 * <p>mksquashfs places higher priorities first, default 0; the first path gets 32767, the next 32766, and so on
 * down to 1, which every further path shares. Paths the tree no longer has (a package removed since the trace
 * was recorded) are left out, as are paths with whitespace or a backslash, which the sort file cannot spell.
 */
public final class BootOrder {
    /** A boot reads a few thousand files; the operator keeps at most this many. */
    public static final int MAX_FILES = 65_536;
    private static final int FIRST_PRIORITY = 32_767;
    private static final long MAX_FILE_BYTES = 16L << 20;

    private final List<String> paths;

    private BootOrder(List<String> paths) {
        this.paths = List.copyOf(paths);
    }

    public static BootOrder of(List<String> paths) {
        Set<String> unique = new LinkedHashSet<>();
        for (String path : paths) {
            if (unique.size() == MAX_FILES) {
                break;
            }
            unique.add(path);
        }
        return new BootOrder(new ArrayList<>(unique));
    }

    public static BootOrder read(Path file) {
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new UserError("the boot order " + file + " is larger than " + (MAX_FILE_BYTES >> 20) + " MiB");
            }
            List<String> paths = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    paths.add(line);
                }
            }
            return of(paths);
        } catch (IOException e) {
            throw new UserError("cannot read the boot order " + file + ": " + e.getMessage());
        }
    }

    public List<String> paths() {
        return paths;
    }

    /** The listed paths the tree has as regular files (not followed through links), relative to it, in order. */
    List<String> presentIn(Path root) {
        List<String> present = new ArrayList<>();
        for (String path : paths) {
            if (!path.startsWith("/") || path.chars().anyMatch(c -> Character.isWhitespace(c) || c == '\\' || c == 0)) {
                continue;
            }
            String relative = path.substring(1);
            Path resolved = root.resolve(relative).normalize();
            if (relative.isEmpty() || !resolved.startsWith(root) || !noLinkOnTheWay(root, resolved)) {
                continue;
            }
            if (Files.isRegularFile(resolved, LinkOption.NOFOLLOW_LINKS)) {
                present.add(root.relativize(resolved).toString());
            }
        }
        return present;
    }

    /** mksquashfs resolves sort entries with lstat on the whole path: a link in a parent could lead off the tree. */
    private static boolean noLinkOnTheWay(Path root, Path resolved) {
        for (Path parent = resolved.getParent(); parent != null && !parent.equals(root); parent = parent.getParent()) {
            if (Files.isSymbolicLink(parent)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Writes mksquashfs's sort file for {@code root} to {@code sortFile}.
     *
     * @return how many files it places first
     */
    int writeSortFile(Path root, Path sortFile) throws IOException {
        List<String> present = presentIn(root);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < present.size(); i++) {
            text.append(present.get(i)).append(' ').append(Math.max(1, FIRST_PRIORITY - i)).append('\n');
        }
        Files.writeString(sortFile, text, StandardCharsets.UTF_8);
        return present.size();
    }
}

package dev.tether.nodeapi;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The files a node's boot read from its root image, in the order it first read them: what the operator keeps with
 * the image so its next pack places them first. Sent once per boot ({@code POST boot-files}).
 *
 * <p>A boot reads a few thousand files, mostly in a few directories; so each file is its directory's index in
 * {@code directories} and its name ({@code [3,"libc.so.6"]}), which keeps a typical boot's list inside the node
 * API's 64 KiB body. A list that does not fit is cut at the end (the files read last matter least) and says so.
 *
 * @param digest the image digest the node booted
 * @param directories absolute, normalised directory paths
 * @param files each file as its directory's index and its name, in first-read order
 * @param truncated true when the node read more files than the list holds
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BootFiles(String digest, List<String> directories, List<File> files, boolean truncated) {
    public static final int MAX_FILES = 32_768;
    public static final int MAX_DIRECTORIES = 8_192;
    /** Linux's PATH_MAX and NAME_MAX, in bytes. */
    public static final int MAX_PATH_BYTES = 4096;
    public static final int MAX_NAME_BYTES = 255;
    /** The paths spelled out (one per line, as the operator keeps them) stay well inside a ConfigMap's 1 MiB. */
    public static final int MAX_LIST_BYTES = 512 * 1024;
    /** What the wrapper ({@code digest}, field names, brackets) may take of a body, with room to spare. */
    private static final int WRAPPER_BYTES = 512;

    public BootFiles {
        directories = directories == null ? List.of() : List.copyOf(directories);
        files = files == null ? List.of() : List.copyOf(files);
    }

    @JsonFormat(shape = JsonFormat.Shape.ARRAY)
    @JsonPropertyOrder({"directory", "name"})
    public record File(int directory, String name) {
    }

    /**
     * The list for {@code paths} (first-read order), in at most {@code maxBodyBytes} of JSON: paths the operator
     * would refuse are left out, and what does not fit is cut off the end.
     */
    public static BootFiles of(String digest, List<String> paths, int maxBodyBytes) {
        List<String> directories = new ArrayList<>();
        Map<String, Integer> directoryIndex = new HashMap<>();
        List<File> files = new ArrayList<>();
        long budget = maxBodyBytes - WRAPPER_BYTES - utf8(digest);
        long listBytes = 0;
        boolean truncated = false;
        for (String path : paths) {
            if (problem(path) != null) {
                continue;
            }
            int slash = path.lastIndexOf('/');
            String directory = slash == 0 ? "/" : path.substring(0, slash);
            String name = path.substring(slash + 1);
            Integer index = directoryIndex.get(directory);
            // "dir", and [index,"name"], as JSON writes them.
            long cost = (index == null ? json(directory) + 3 : 0) + Integer.toString(directories.size()).length()
                    + json(name) + 6;
            if (files.size() == MAX_FILES || (index == null && directories.size() == MAX_DIRECTORIES) || cost > budget
                    || listBytes + utf8(path) + 1 > MAX_LIST_BYTES) {
                truncated = true;
                break;
            }
            if (index == null) {
                index = directories.size();
                directories.add(directory);
                directoryIndex.put(directory, index);
            }
            files.add(new File(index, name));
            budget -= cost;
            listBytes += utf8(path) + 1;
        }
        return new BootFiles(digest, directories, files, truncated);
    }

    /** The paths, in first-read order; throws {@link IllegalArgumentException} saying what is wrong with the list. */
    public List<String> paths() {
        if (files.size() > MAX_FILES) {
            throw new IllegalArgumentException("the list names " + files.size() + " files; at most " + MAX_FILES);
        }
        if (directories.size() > MAX_DIRECTORIES) {
            throw new IllegalArgumentException("the list names " + directories.size() + " directories; at most "
                    + MAX_DIRECTORIES);
        }
        for (String directory : directories) {
            String problem = directory == null ? "is missing" : directory.equals("/") ? null : problem(directory);
            if (problem != null) {
                throw new IllegalArgumentException("a directory " + problem);
            }
        }
        List<String> paths = new ArrayList<>(files.size());
        long listBytes = 0;
        for (File file : files) {
            if (file == null || file.directory() < 0 || file.directory() >= directories.size()) {
                throw new IllegalArgumentException("a file names directory " + (file == null ? "null" : file.directory())
                        + " of " + directories.size());
            }
            String name = file.name();
            if (name == null || name.isEmpty() || name.indexOf('/') >= 0 || name.equals(".") || name.equals("..")
                    || utf8(name) > MAX_NAME_BYTES) {
                throw new IllegalArgumentException("a file name is empty, holds a slash, is . or .., or is longer than "
                        + MAX_NAME_BYTES + " bytes");
            }
            String directory = directories.get(file.directory());
            String path = directory.equals("/") ? "/" + name : directory + "/" + name;
            String problem = problem(path);
            if (problem != null) {
                throw new IllegalArgumentException("a path " + problem);
            }
            listBytes += utf8(path) + 1;
            if (listBytes > MAX_LIST_BYTES) {
                throw new IllegalArgumentException("the paths spelled out take more than " + MAX_LIST_BYTES + " bytes");
            }
            paths.add(path);
        }
        return paths;
    }

    /** Why {@code path} is not an absolute, normalised path of printable characters within PATH_MAX; null if it is. */
    public static String problem(String path) {
        if (path == null || !path.startsWith("/") || path.length() < 2) {
            return "is not absolute";
        }
        if (utf8(path) > MAX_PATH_BYTES) {
            return "is longer than " + MAX_PATH_BYTES + " bytes";
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return "holds a control character (NUL, newline, ...)";
            }
        }
        if (path.endsWith("/")) {
            return "ends with a slash";
        }
        for (String segment : path.substring(1).split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return "is not normalised (empty, . or .. segments)";
            }
        }
        return null;
    }

    /** A string's length inside JSON quotes: UTF-8, with '"' and '\\' escaped (control characters are refused). */
    private static long json(String text) {
        return utf8(text) + text.chars().filter(c -> c == '"' || c == '\\').count();
    }

    private static long utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }
}

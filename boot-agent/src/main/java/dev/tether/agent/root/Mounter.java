package dev.tether.agent.root;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code mount(8)} and {@code umount(8)}, with the mount point created first and errors made actionable. */
public final class Mounter {
    private final HostTools tools;

    public Mounter(HostTools tools) {
        this.tools = tools;
    }

    public HostTools tools() {
        return tools;
    }

    /**
     * Mounts {@code source} on {@code target}.
     *
     * @param hint what to check when mount fails, e.g. which kernel module must be present
     */
    public void mount(String type, String options, String source, Path target, String hint)
            throws RootSetupException {
        createDirectory(target);
        List<String> command = new ArrayList<>(List.of("mount", "-t", type));
        if (options != null && !options.isEmpty()) {
            command.addAll(List.of("-o", options));
        }
        command.addAll(List.of(source, target.toString()));
        tools.run("mounting " + type + " " + source + " on " + target, hint, command);
    }

    public void unmount(Path target) throws RootSetupException {
        tools.run("unmounting " + target, "something still uses it (a process's working directory or an open file)",
                List.of("umount", target.toString()));
    }

    /** True when {@code dir} is a mount point, read from {@code /proc/self/mountinfo}. */
    public static boolean isMountPoint(Path dir) throws IOException {
        String wanted = dir.toAbsolutePath().normalize().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] fields = line.split(" ");
            if (fields.length > 4 && unescape(fields[4]).equals(wanted)) {
                return true;
            }
        }
        return false;
    }

    static void createDirectory(Path dir) throws RootSetupException {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new RootSetupException("cannot create the mount point " + dir + ": " + e.getMessage(), e);
        }
    }

    /** mountinfo writes space, tab, newline and backslash in paths as octal escapes. */
    private static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}

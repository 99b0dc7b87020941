package dev.tether.agent;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tether.agent.root.HostTools;
import dev.tether.agent.root.RootSetupException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the mount tests need from the machine. A missing requirement skips the test with a message that
 * names it, printed on stderr as well, so a skipped run is never mistaken for a passing one.
 */
public final class HostRequirements {
    private HostRequirements() {
    }

    public static void root() {
        require(isRoot(), "needs root (uid 0) to mount filesystems and configure zram");
    }

    public static void zram() {
        root();
        require(Files.isDirectory(Path.of("/sys/class/zram-control")) || Files.isDirectory(Path.of("/sys/block/zram0")),
                "needs the zram module: modprobe zram (no /sys/class/zram-control)");
    }

    public static void filesystem(String type) {
        String filesystems;
        try {
            filesystems = Files.readString(Path.of("/proc/filesystems"));
        } catch (IOException e) {
            filesystems = "";
        }
        require(filesystems.matches("(?s).*\\s" + type + "\\R.*"),
                "needs the " + type + " filesystem in the kernel (not in /proc/filesystems; modprobe " + type + ")");
    }

    public static void tools(String... names) {
        HostTools tools = HostTools.fromEnvironment();
        for (String name : names) {
            try {
                tools.require(name);
            } catch (RootSetupException e) {
                require(false, "needs " + name + " (install the Debian packages in .ci/apt-packages.txt)");
            }
        }
    }

    private static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(line -> line.startsWith("Uid:"))
                    .anyMatch(line -> line.split("\\s+")[2].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    private static void require(boolean met, String message) {
        if (!met) {
            System.err.println("SKIPPED (" + callerTest() + "): " + message);
        }
        assumeTrue(met, message);
    }

    private static String callerTest() {
        return StackWalker.getInstance().walk(frames -> frames
                .filter(frame -> frame.getClassName().endsWith("Test"))
                .map(frame -> frame.getClassName().substring(frame.getClassName().lastIndexOf('.') + 1)
                        + "." + frame.getMethodName())
                .findFirst().orElse("test"));
    }
}

package dev.tether.imgutil.initramfs;

import dev.tether.imgutil.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Finds the kernel an image boots: the newest version that has both modules and a vmlinuz in /boot. */
public final class KernelLocator {
    private KernelLocator() {
    }

    /** The kernel an image boots and where its initramfs is, for either initramfs tool. */
    public record Kernel(String version, Path vmlinuz, Path initramfs, InitramfsTool tool) {
    }

    public static Kernel locate(Path root) {
        Path modules = root.resolve("usr/lib/modules");
        if (!Files.isDirectory(modules)) {
            modules = root.resolve("lib/modules");
        }
        List<String> versions;
        try (Stream<Path> entries = Files.isDirectory(modules) ? Files.list(modules) : Stream.empty()) {
            versions = entries.map(path -> path.getFileName().toString())
                    .filter(version -> Files.isRegularFile(root.resolve("boot/vmlinuz-" + version)))
                    .sorted(KernelLocator::compareVersions)
                    .toList();
        } catch (IOException e) {
            throw new UserError("cannot list kernels in " + modules + ": " + e.getMessage(), e);
        }
        if (versions.isEmpty()) {
            throw new UserError(root + " has no kernel (no /boot/vmlinuz-<version> with modules);"
                    + " imgutil build installs one, or install one with imgutil exec");
        }
        String version = versions.get(versions.size() - 1);
        InitramfsTool tool = InitramfsTool.detect(root);
        return new Kernel(version, root.resolve("boot/vmlinuz-" + version), root.resolve(tool.initramfsPath(version)),
                tool);
    }

    /** Numeric parts compare as numbers, so 6.1.0-28 sorts after 6.1.0-9. */
    static int compareVersions(String left, String right) {
        String[] a = left.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)");
        String[] b = right.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)");
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            int order = a[i].chars().allMatch(Character::isDigit) && b[i].chars().allMatch(Character::isDigit)
                    ? Comparator.<String, Integer>comparing(String::length).thenComparing(s -> s).compare(
                            a[i].replaceFirst("^0+(?=.)", ""), b[i].replaceFirst("^0+(?=.)", ""))
                    : a[i].compareTo(b[i]);
            if (order != 0) {
                return order;
            }
        }
        return Integer.compare(a.length, b.length);
    }
}

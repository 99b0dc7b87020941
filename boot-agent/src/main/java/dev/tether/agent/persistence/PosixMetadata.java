package dev.tether.agent.persistence;

import com.sun.jna.Native;
import dev.tether.agent.Libc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What Java's file API cannot do: set a mode with its set-id bits, and read and write extended attributes of every
 * namespace ({@code user.}, {@code security.} such as file capabilities, {@code trusted.},
 * {@code system.} POSIX ACLs), never following a symbolic link: Java's own view reaches only {@code user.}, and a file
 * capability lost at a restore would break the program that needs it. Through the C library, with JNA.
 */
final class PosixMetadata {
    /** The kernel's own limits: a list of names and one value are at most 64 KiB (XATTR_LIST_MAX, XATTR_SIZE_MAX). */
    private static final int MAX = 64 * 1024;

    private PosixMetadata() {
    }

    private static Libc libc() {
        return Libc.get();
    }

    /** The file's extended attributes, by name; empty where the file system keeps none. */
    static Map<String, byte[]> read(Path file) throws IOException {
        String path = file.toString();
        byte[] list = new byte[MAX];
        long length = libc().llistxattr(path, list, list.length);
        if (length < 0) {
            int errno = Native.getLastError();
            if (errno == Libc.ENOTSUP) {
                return Map.of();
            }
            throw new IOException("cannot list the extended attributes of " + path + " (errno " + errno + ")");
        }
        Map<String, byte[]> values = new LinkedHashMap<>();
        int start = 0;
        for (int i = 0; i < length; i++) {
            if (list[i] == 0) {
                String name = new String(list, start, i - start, StandardCharsets.UTF_8);
                start = i + 1;
                byte[] value = new byte[MAX];
                long size = libc().lgetxattr(path, name, value, value.length);
                if (size < 0) {
                    if (Native.getLastError() == Libc.ENODATA) {
                        continue; // removed meanwhile
                    }
                    throw new IOException("cannot read extended attribute " + name + " of " + path);
                }
                values.put(name, Arrays.copyOf(value, (int) size));
            }
        }
        return values;
    }

    /** The full mode, set-user-ID, set-group-ID and sticky bits included; never called on a symbolic link. */
    static void chmod(Path file, int mode) throws IOException {
        if (libc().chmod(file.toString(), mode & 07777) != 0) {
            throw new IOException("cannot set the mode of " + file + " (errno " + Native.getLastError() + ")");
        }
    }

    /** Sets one attribute; false when the file system or the kernel does not take it (said by the caller). */
    static boolean write(Path file, String name, byte[] value) {
        return libc().lsetxattr(file.toString(), name, value, value.length, 0) == 0;
    }
}

package dev.tether.agent.persistence;

import java.util.Map;

/**
 * One entry of a kept-paths archive, as the POSIX.1-2001 (pax) tar format holds it: its name relative to the root,
 * type, mode (permission and set-id bits), owner, modification time, a symbolic link's target, a file's size, and its
 * extended attributes (all namespaces, as GNU tar's {@code SCHILY.xattr.*} records; values are bytes).
 */
record TarEntry(String name, Type type, int mode, int uid, int gid, long mtimeSeconds, String linkTarget, long size,
        Map<String, byte[]> xattrs) {
    /** OTHER: what a kept-paths archive never holds (hard links, devices, FIFOs); read only to be refused. */
    enum Type { FILE, DIRECTORY, SYMLINK, OTHER }
}

package dev.tether.agent.fuse;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import java.io.IOException;

/**
 * The part of libfuse 3's high-level API the agent uses, bound at run time to the system's
 * {@code libfuse3.so.3} (package libfuse3-3; no headers needed). Versioned entry points are named
 * explicitly ({@code fuse_new_31}, {@code fuse_loop_mt_31}) so the binding means the same on every 3.x
 * from 3.2 on, whatever the library's default symbol version is.
 */
public interface Fuse3 extends Library {
    String LIBRARY = "libfuse3.so.3";

    /** Parses {@code args} (mount and library options) and makes a filesystem; null when an option is wrong. */
    Pointer fuse_new_31(FuseArgs args, FuseOperations operations, NativeLong operationsSize, Pointer userData);

    int fuse_mount(Pointer fuse, String mountPoint);

    /** Serves requests on up to ten threads until unmount or {@link #fuse_exit}. */
    int fuse_loop_mt_31(Pointer fuse, int cloneFd);

    void fuse_exit(Pointer fuse);

    void fuse_unmount(Pointer fuse);

    void fuse_destroy(Pointer fuse);

    /** The library's version, e.g. 314 for 3.14 (what {@code tether-agent selftest} shows). */
    int fuse_version();

    /** Loads the library, or explains what is missing. */
    static Fuse3 load() throws IOException {
        try {
            return Native.load(LIBRARY, Fuse3.class);
        } catch (UnsatisfiedLinkError e) {
            throw new IOException("cannot load " + LIBRARY + " (install the libfuse3-3 package, or use "
                    + "tether.method=untethered): " + e.getMessage(), e);
        }
    }
}

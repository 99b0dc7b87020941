package dev.tether.agent.fuse;

import com.sun.jna.Pointer;
import com.sun.jna.StringArray;
import com.sun.jna.Structure;

/** {@code struct fuse_args}: an argv for libfuse's option parser. */
@Structure.FieldOrder({"argc", "argv", "allocated"})
public final class FuseArgs extends Structure {
    public int argc;
    public Pointer argv;
    public int allocated;

    /** Kept so the strings live as long as libfuse may read them. */
    private final transient StringArray strings;

    public FuseArgs(String... args) {
        this.strings = new StringArray(args);
        this.argc = args.length;
        this.argv = strings;
        this.allocated = 0;
    }
}

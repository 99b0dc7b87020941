package dev.tether.agent.fuse;

import com.sun.jna.Pointer;

/**
 * Where glibc puts the fields of {@code struct stat} and {@code struct statvfs} that the filesystem fills.
 * libfuse zeroes both structures before calling us, so only the fields that matter are written. x86-64 and
 * arm64 differ only in {@code st_mode}/{@code st_nlink}; statvfs is the same on both.
 */
final class NativeLayout {
    private final boolean x86;

    private NativeLayout(boolean x86) {
        this.x86 = x86;
    }

    static NativeLayout forThisMachine() {
        String arch = System.getProperty("os.arch");
        return switch (arch) {
            case "amd64", "x86_64" -> new NativeLayout(true);
            case "aarch64", "arm64" -> new NativeLayout(false);
            default -> throw new UnsupportedOperationException("the FUSE binding knows struct stat on x86-64 and arm64, not "
                    + arch + "; use tether.method=untethered on this machine");
        };
    }

    void stat(Pointer st, int mode, long nlink, long size, long mtimeSeconds) {
        if (x86) {
            st.setLong(16, nlink);
            st.setInt(24, mode);
        } else {
            st.setInt(16, mode);
            st.setInt(20, (int) nlink);
        }
        st.setLong(48, size);
        st.setInt(56, 4096);
        st.setLong(64, (size + 511) / 512);
        st.setLong(72, mtimeSeconds);
        st.setLong(88, mtimeSeconds);
        st.setLong(104, mtimeSeconds);
    }

    void statvfs(Pointer st, long blockSize, long blocks, long files, long nameMax) {
        st.setLong(0, blockSize);
        st.setLong(8, blockSize);
        st.setLong(16, blocks);
        st.setLong(40, files);
        st.setLong(80, nameMax);
    }
}

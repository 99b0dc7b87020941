package dev.tether.agent.root;

import java.io.Closeable;
import java.nio.file.Path;

/** A filesystem this agent mounted: closing unmounts it, once. */
abstract class MountedFilesystem implements Closeable {
    private final Path mountPoint;
    private final Mounter mounter;
    private boolean mounted;

    MountedFilesystem(Path mountPoint, Mounter mounter) {
        this.mountPoint = mountPoint;
        this.mounter = mounter;
    }

    /** Mounts through the mounter and remembers to unmount; {@code hint} says what to check if it fails. */
    final void mount(String type, String options, String source, String hint) throws RootSetupException {
        mounter.mount(type, options, source, mountPoint, hint);
        mounted = true;
    }

    /** Mounts a filesystem image read-only through a loop device; returns the device, held open for the caller to close. */
    final LoopDevice mountFile(String type, Path file, boolean directIo, String hint) throws RootSetupException {
        LoopDevice loop = mounter.mountFile(type, file, mountPoint, directIo, hint);
        mounted = true;
        return loop;
    }

    public Path mountPoint() {
        return mountPoint;
    }

    @Override
    public void close() throws RootSetupException {
        if (mounted) {
            mounter.unmount(mountPoint);
            mounted = false;
        }
    }
}

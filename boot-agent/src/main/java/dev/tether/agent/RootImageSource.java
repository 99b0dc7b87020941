package dev.tether.agent;

import dev.tether.agent.trace.BootTraceRecording;
import dev.tether.image.format.ImageKey;
import dev.tether.image.format.RootImagePin;
import dev.tether.nodeapi.BootReport;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Makes the root image available as a plain squashfs file: tethered (a FUSE file reading chunks on demand
 * from the edges) or untethered (downloaded into RAM, before the boot goes on or behind the running node). The boot
 * only needs the file; how it is served is the data plane's business.
 */
@FunctionalInterface
public interface RootImageSource {

    MountedImage open(Request request) throws IOException;

    /**
     * @param rootImageDigest the root image container's digest
     * @param pin what the manifest pins about the container, which the source must hold the edges' header to;
     *     empty only when the image was named without a manifest ({@code tether.rootimage=}, no node API)
     * @param key the image key; empty for an unencrypted image
     * @param workDir a directory for the FUSE mount point or the downloaded file; for untethered, on a tmpfs
     */
    record Request(ImageMethod method, List<URI> edges, String rootImageDigest, Optional<RootImagePin> pin,
            Optional<ImageKey> key, Path workDir, AgentConsole console) {
    }

    /** The squashfs file while it is available; closing withdraws it (unmount it first). */
    interface MountedImage extends Closeable {
        Path squashfsFile();

        /**
         * True while this process serves the file (a FUSE file: tethered, or untethered until its copy in RAM is
         * complete): it must outlive the hand-over then.
         */
        default boolean servedByThisProcess() {
            return false;
        }

        /** The recording of the boot's reads of the image, when this process serves it (tethered). */
        default Optional<BootTraceRecording> readTrace() {
            return Optional.empty();
        }

        /**
         * Whether this process serves the image only until a copy of it in RAM is complete ({@link #fillRam}): an
         * untethered image the node boots from before it is all downloaded.
         */
        default boolean fillsRam() {
            return false;
        }

        /**
         * Downloads the image into RAM behind the running node and returns the copy, a file with the same bytes as
         * {@link #squashfsFile()}, to move the squashfs onto; then {@link #stopServing()}. Only where {@link #fillsRam()}.
         */
        default Path fillRam() throws IOException {
            throw new IllegalStateException("this image is not copied into RAM");
        }

        /** Stops serving {@link #squashfsFile()}, which nothing reads any more; a copy in RAM stays. */
        default void stopServing() throws IOException {
        }

        /** What reading the image from the edges took so far, when it was read from edges. */
        default Optional<BootReport.Fetch> fetchStats() {
            return Optional.empty();
        }
    }
}

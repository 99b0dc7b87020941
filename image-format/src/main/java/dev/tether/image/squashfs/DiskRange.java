package dev.tether.image.squashfs;

/** Bytes {@code [start, start + length)} of a squashfs image as stored (compressed). */
public record DiskRange(long start, long length) {
    public DiskRange {
        if (start < 0 || length < 0) {
            throw new IllegalArgumentException("a disk range starts at " + start + " with length " + length);
        }
    }

    public long end() {
        return start + length;
    }

    public boolean isEmpty() {
        return length == 0;
    }

    public boolean overlaps(long otherStart, long otherLength) {
        return length > 0 && otherLength > 0 && otherStart < end() && start < otherStart + otherLength;
    }
}

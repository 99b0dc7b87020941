package dev.tether.agent.root;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Linux device number, as {@code stat(2)}'s {@code st_dev} (and so Java's {@code unix:dev}) encodes it, and the
 * {@code major:minor} name sysfs files it under ({@code /sys/dev/block/7:0}, {@code /sys/class/bdi/0:52}).
 */
public record DeviceNumber(long major, long minor) {

    /** Decodes glibc's encoding ({@code major(3)}, {@code minor(3)}). */
    public static DeviceNumber decode(long device) {
        return new DeviceNumber(((device >>> 8) & 0xfffL) | ((device >>> 32) & 0xfffff000L),
                (device & 0xffL) | ((device >>> 12) & 0xffffff00L));
    }

    /** The device of the filesystem {@code path} lies on: for a mount point, the mounted filesystem's. */
    public static DeviceNumber ofFileSystemAt(Path path) throws IOException {
        return decode(((Number) Files.getAttribute(path, "unix:dev")).longValue());
    }

    /** glibc's encoding ({@code makedev(3)}). */
    public long encoded() {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }

    /** {@code major:minor}, as sysfs names it. */
    @Override
    public String toString() {
        return major + ":" + minor;
    }
}

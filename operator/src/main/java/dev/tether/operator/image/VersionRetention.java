package dev.tether.operator.image;

import dev.tether.api.v1alpha1.DisklessImageStatus.ImageVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Which published versions of an image may go. A version stays while a NodeProfile pins it or a
 * node last booted it (a tethered node still reads from it), and the newest {@code retain} always
 * stay; the rest are removed, oldest first.
 */
public final class VersionRetention {
    private VersionRetention() {}

    /** @param newestFirst the image's versions, newest first, as status keeps them */
    public static List<ImageVersion> removable(List<ImageVersion> newestFirst, int retain, Set<String> inUse) {
        var removable = new ArrayList<ImageVersion>();
        for (int i = retain; i < newestFirst.size(); i++) {
            var version = newestFirst.get(i);
            if (!inUse.contains(version.digest)) {
                removable.add(version);
            }
        }
        return removable;
    }
}

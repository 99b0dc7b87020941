package dev.tether.agent.root;

import java.nio.file.Path;
import java.util.regex.Pattern;

/** The node's root: an overlay of the read-only image under the writable layer, mounted at the target. */
public final class OverlayRoot extends MountedFilesystem {
    /** overlayfs splits its options on commas and lowerdir on colons; a backslash escapes them. */
    private static final Pattern UNSAFE_IN_OPTION = Pattern.compile("[,:\\\\]");

    private OverlayRoot(Path target, Mounter mounter) {
        super(target, mounter);
    }

    public static OverlayRoot mount(SquashfsLower lower, WritableLayer writable, Path target, Mounter mounter)
            throws RootSetupException {
        String options = "lowerdir=" + optionPath(lower.mountPoint())
                + ",upperdir=" + optionPath(writable.upperDir())
                + ",workdir=" + optionPath(writable.workDir());
        OverlayRoot root = new OverlayRoot(target, mounter);
        root.mount("overlay", options, "overlay", "the initramfs must contain the overlay kernel module");
        return root;
    }

    public Path target() {
        return mountPoint();
    }

    private static String optionPath(Path path) throws RootSetupException {
        String text = path.toAbsolutePath().toString();
        if (UNSAFE_IN_OPTION.matcher(text).find()) {
            throw new RootSetupException("the overlay cannot use " + text + ": it contains ',', ':' or '\\';"
                    + " choose another --run-dir");
        }
        return text;
    }
}

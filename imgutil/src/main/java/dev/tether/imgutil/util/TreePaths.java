package dev.tether.imgutil.util;

import dev.tether.imgutil.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resolves a path as the image would see it: symlinks inside the tree are followed relative to the
 * tree's root (as under chroot), never to the host's. Used whenever imgutil writes into a tree from
 * outside it.
 */
public final class TreePaths {
    private static final int MAX_LINKS = 40;

    private TreePaths() {
    }

    /** The host path of absolute image path {@code imagePath}; its parent directories are resolved. */
    public static Path resolveInside(Path root, String imagePath) {
        if (!imagePath.startsWith("/")) {
            throw new UserError("image path '" + imagePath + "' must be absolute");
        }
        Path current = root;
        Path rest = Path.of(imagePath.substring(1)).normalize();
        if (rest.startsWith("..")) {
            throw new UserError("image path '" + imagePath + "' leaves the image");
        }
        int links = 0;
        int count = rest.getNameCount();
        for (int i = 0; i < count; i++) {
            Path next = current.resolve(rest.getName(i));
            boolean last = i == count - 1;
            while (!last && Files.isSymbolicLink(next)) {
                if (++links > MAX_LINKS) {
                    throw new UserError("too many symlinks resolving '" + imagePath + "' in the image");
                }
                Path target;
                try {
                    target = Files.readSymbolicLink(next);
                } catch (IOException e) {
                    throw new UserError("cannot read link " + next + ": " + e.getMessage());
                }
                next = (target.isAbsolute() ? root.resolve(target.toString().substring(1))
                        : next.getParent().resolve(target)).normalize();
                if (!next.startsWith(root)) {
                    throw new UserError("image path '" + imagePath + "' leaves the image through a symlink");
                }
            }
            current = next;
        }
        return current;
    }
}

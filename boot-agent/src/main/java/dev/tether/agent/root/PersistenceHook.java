package dev.tether.agent.root;

import java.io.IOException;
import java.util.List;

/**
 * Runs once the overlay is up and before the image's init takes over. Selective persistence (paths kept
 * across reboots) plugs in here: it restores the kept paths into the root before anything reads them.
 * By default nothing is kept, as designed: the writable layer is lost at reboot.
 */
@FunctionalInterface
public interface PersistenceHook {
    PersistenceHook NONE = layout -> { };

    void rootReady(RootLayout layout) throws IOException;

    /**
     * With the paths the profile keeps ({@code persistencePaths} from the node API's boot configuration; empty
     * without a node API). A hook that implements selective persistence overrides this one.
     */
    default void rootReady(RootLayout layout, List<String> persistencePaths) throws IOException {
        rootReady(layout);
    }
}

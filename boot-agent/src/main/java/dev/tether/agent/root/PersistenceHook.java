package dev.tether.agent.root;

import java.io.IOException;
import java.util.List;

/**
 * Runs once the overlay is up, after the kept paths were restored and before the agent writes node files and SSH files:
 * a seam for tests and local boots to look at or add to the root. Selective persistence itself is
 * {@code persistence/NodePersistence}, which the boot runs first for a node with a node API.
 */
@FunctionalInterface
public interface PersistenceHook {
    PersistenceHook NONE = layout -> { };

    void rootReady(RootLayout layout) throws IOException;

    /**
     * With the paths the profile keeps ({@code persistencePaths} from the node API's boot configuration; empty
     * without a node API).
     */
    default void rootReady(RootLayout layout, List<String> persistencePaths) throws IOException {
        rootReady(layout);
    }
}

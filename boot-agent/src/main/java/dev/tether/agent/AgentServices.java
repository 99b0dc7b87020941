package dev.tether.agent;

import dev.tether.agent.root.HostTools;
import dev.tether.agent.root.PersistenceHook;

/**
 * The parts of the boot that are swapped in tests: where the image comes from, what runs after the root
 * is up, and where the tools are.
 */
public record AgentServices(RootImageSource images, PersistenceHook persistence, HostTools tools) {

    public static AgentServices production() {
        return new AgentServices(new EdgeImageSource(), PersistenceHook.NONE, HostTools.fromEnvironment());
    }
}

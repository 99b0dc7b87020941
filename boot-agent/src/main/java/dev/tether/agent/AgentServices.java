package dev.tether.agent;

import dev.tether.agent.root.HostTools;
import dev.tether.agent.root.NodeRoot;
import dev.tether.agent.root.PersistenceHook;
import dev.tether.agent.trust.HardwareIdentity;
import dev.tether.agent.trust.NodeApiClient;
import dev.tether.agent.trust.TpmAccess;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The parts of the boot that are swapped in tests: where the image comes from, what runs after the root
 * is up, where the tools are, the TPM, this machine's hardware identity, how patient the node API
 * client is, and the node's root after the initramfs switched to it.
 */
public record AgentServices(RootImageSource images, PersistenceHook persistence, HostTools tools, TpmAccess tpm,
        Supplier<HardwareIdentity> hardware, NodeApiClient.Settings nodeApi, NodeApiClient.Sleeper sleeper,
        NodeRoot nodeRoot) {

    /** Without a TPM, with this machine's sysfs, and the node API client's defaults. */
    public AgentServices(RootImageSource images, PersistenceHook persistence, HostTools tools) {
        this(images, persistence, tools, TpmAccess.NONE, () -> HardwareIdentity.read(HardwareIdentity.SYSFS),
                NodeApiClient.Settings.DEFAULT, NodeApiClient.Sleeper.REAL);
    }

    /** In a process that stays in its root. */
    public AgentServices(RootImageSource images, PersistenceHook persistence, HostTools tools, TpmAccess tpm,
            Supplier<HardwareIdentity> hardware, NodeApiClient.Settings nodeApi, NodeApiClient.Sleeper sleeper) {
        this(images, persistence, tools, tpm, hardware, nodeApi, sleeper, NodeRoot.STAY);
    }

    public static AgentServices production() {
        // TpmAccess.system() is where the tpm module's TPM2 store gets wired in.
        return new AgentServices(new EdgeImageSource(), PersistenceHook.NONE, HostTools.fromEnvironment(),
                TpmAccess.system(), () -> HardwareIdentity.read(HardwareIdentity.SYSFS), NodeApiClient.Settings.DEFAULT,
                NodeApiClient.Sleeper.REAL, NodeRoot.holding(Path.of("/run")));
    }
}

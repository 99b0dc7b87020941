package dev.tether.operator.nodeapi;

import static dev.tether.operator.OperatorHarness.NAMESPACE;
import static dev.tether.operator.OperatorHarness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.AddonProfile;
import dev.tether.agent.AgentConsole;
import dev.tether.agent.BootConfig;
import dev.tether.agent.KernelCommandLine;
import dev.tether.agent.root.ZramSize;
import dev.tether.agent.trust.ApiKey;
import dev.tether.api.v1alpha1.NodeCredentialSpec.Arming;
import dev.tether.nodeapi.BootConfiguration;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A profile's spec.writableLayer as the node lives it: the node API's boot configuration carries it, and the boot
 * agent's own client and merge turn it into the zram device's size and compression, not the default half of RAM.
 */
class WritableLayerContractTest extends NodeApiTestBase {
    private static final long RAM = 64L << 30;

    @TempDir
    Path temp;

    private final AgentConsole console = new AgentConsole(new PrintStream(OutputStream.nullOutputStream(), true,
            StandardCharsets.UTF_8), Optional.empty(), false);

    @Test
    void aFractionOfRamAndAnAlgorithmReachTheAgentsZramSettings() throws Exception {
        publishedImage("bookworm", DIGEST);
        profile("compute", "bookworm");
        mergePatch("compute", "{\"spec\":{\"writableLayer\":"
                + "{\"size\":null,\"ramFraction\":0.25,\"compression\":\"lzo-rle\"}}}");
        create(credential("node-001", "compute", Arming.ONCE));
        var key = ApiKey.of(fetchKey("node-001"));
        var node = agentClient("node-001", temp, console);

        // The node API reads the profile from its informer: the patch arrives there soon after.
        BootConfiguration served = eventually(() -> {
            var config = node.bootConfiguration(key);
            return config.writableLayer() != null && config.writableLayer().ramFraction() != null ? config : null;
        });
        assertThat(served.writableLayer()).isEqualTo(new BootConfiguration.WritableLayer(0.25, null, "lzo-rle"));

        BootConfig booting = agentMerge(served);
        assertThat(booting.zram().size()).isEqualTo(new ZramSize.Fraction(0.25));
        assertThat(booting.zram().size().bytes(RAM)).as("a quarter, not the default half").isEqualTo(16L << 30);
        assertThat(booting.zram().algorithm()).contains("lzo-rle");
    }

    @Test
    void aSizeInBytesAndAnAlgorithmReachTheAgentsZramSettings() throws Exception {
        publishedImage("bookworm", DIGEST);
        profile("compute", "bookworm"); // writableLayer: size 8Gi, compression zstd
        create(credential("node-001", "compute", Arming.ONCE));
        var key = ApiKey.of(fetchKey("node-001"));

        BootConfiguration served = agentClient("node-001", temp, console).bootConfiguration(key);

        BootConfig booting = agentMerge(served);
        assertThat(booting.zram().size()).isEqualTo(new ZramSize.Bytes(8L << 30));
        assertThat(booting.zram().size().bytes(RAM)).isEqualTo(8L << 30);
        assertThat(booting.zram().algorithm()).contains("zstd");
    }

    /** The agent's merge of the command line (nothing about zram on it), the addon and the node API's answer. */
    private BootConfig agentMerge(BootConfiguration served) throws Exception {
        var addon = new AddonProfile(NAMESPACE, "compute", "tethered", null, List.of("http://192.0.2.10:8080"),
                List.of("https://127.0.0.1:" + server.address().getPort()), "required");
        return BootConfig.merge(KernelCommandLine.parse("tether.node=node-001"), Optional.of(addon),
                AddonProfile.DEFAULT_PATH, Optional.of(served));
    }
}

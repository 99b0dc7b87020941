package dev.tether.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tether.agent.root.ZramSettings;
import dev.tether.agent.root.ZramSize;
import dev.tether.nodeapi.BootConfiguration;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Where a node API exists, what decides the root comes from it: the command line and the addon archive come
 * over plain HTTP and may be forged. Only what cannot weaken security may still be chosen on the command line.
 */
class BootConfigTest {
    private static final String IMAGE = "sha256:" + "ab".repeat(32);
    private static final String FORGED = "sha256:" + "66".repeat(32);
    private static final AddonProfile ADDON = new AddonProfile("hpc", "from-addon", "tethered", FORGED,
            List.of("http://addon-edge"), List.of("https://api:8443"), null);

    private static BootConfiguration remote(String image, String method) {
        return new BootConfiguration("hpc", "n1", null, List.of(), "compute", image, method, List.of("http://api-edge"),
                List.of(), null, List.of(), null, null, "preferred");
    }

    private static BootConfiguration remote(BootConfiguration.WritableLayer writable) {
        return new BootConfiguration("hpc", "n1", null, List.of(), "compute", IMAGE, "tethered",
                List.of("http://api-edge"), List.of(), writable, List.of(), null, null, "preferred");
    }

    private static BootConfig merge(String cmdline, BootConfiguration remote) throws Exception {
        return BootConfig.merge(KernelCommandLine.parse(cmdline), Optional.of(ADDON), AddonProfile.DEFAULT_PATH,
                Optional.of(remote));
    }

    @Test
    void theNodeApiDecidesImageMethodAndProfileOverTheAddonAndCommandLine() throws Exception {
        BootConfig config = merge("tether.node=n1 tether.profile=forged tether.method=tethered"
                + " tether.edges=http://cmdline-edge tether.zram=1Gi", remote(IMAGE, "untethered"));

        assertThat(config.image()).as("not the addon's").contains(IMAGE);
        assertThat(config.method()).isEqualTo(ImageMethod.UNTETHERED);
        assertThat(config.profile()).contains("compute");
        // Edges are untrusted whichever source names them, and the zram size is the node's own business.
        assertThat(config.edges()).containsExactly(URI.create("http://cmdline-edge"));
        assertThat(config.zram().size().bytes(8L << 30)).isEqualTo(1L << 30);
    }

    /** The profile's writableLayer, as the node API serves it, is the zram device the node makes. */
    @Test
    void theNodeApisWritableLayerSetsTheZramSizeAndAlgorithm() throws Exception {
        long ram = 64L << 30;
        BootConfig bySize = merge("tether.node=n1", remote(new BootConfiguration.WritableLayer(null, 8L << 30, "zstd")));
        assertThat(bySize.zram().size()).isEqualTo(new ZramSize.Bytes(8L << 30));
        assertThat(bySize.zram().algorithm()).contains("zstd");

        BootConfig byFraction = merge("tether.node=n1", remote(new BootConfiguration.WritableLayer(0.25, null, "842")));
        assertThat(byFraction.zram().size().bytes(ram)).as("not the default half").isEqualTo(16L << 30);
        assertThat(byFraction.zram().algorithm()).contains("842");

        BootConfig unset = merge("tether.node=n1", remote((BootConfiguration.WritableLayer) null));
        assertThat(unset.zram()).as("the profile gave none").isEqualTo(ZramSettings.DEFAULT);

        BootConfig overridden = merge("tether.node=n1 tether.zram=1Gi tether.zram_alg=lz4",
                remote(new BootConfiguration.WritableLayer(0.25, null, "842")));
        assertThat(overridden.zram().size().bytes(ram)).as("the command line wins").isEqualTo(1L << 30);
        assertThat(overridden.zram().algorithm()).contains("lz4");
    }

    @Test
    void aCommandLineImageThatDiffersFromTheNodeApisStopsTheBoot() {
        assertThatThrownBy(() -> merge("tether.node=n1 tether.image=" + FORGED, remote(IMAGE, "tethered")))
                .isInstanceOf(BootConfigException.class)
                .hasMessage("the kernel command line names the image " + FORGED + " but the node API (authenticated)"
                        + " says " + IMAGE + "; the command line comes over plain HTTP, so the boot stops rather than"
                        + " choose: reboot to fetch a fresh iPXE script (one fetched before a new image version was"
                        + " published names the old one), and if it persists, check the edge serving /boot/ipxe?mac=..."
                        + " and who can change what it serves");
    }

    @Test
    void theSameImageOnTheCommandLineIsFine() throws Exception {
        assertThat(merge("tether.node=n1 tether.image=" + IMAGE, remote(IMAGE, "tethered")).image()).contains(IMAGE);
    }

    @Test
    void aRootImageOnTheCommandLineCannotSkipTheManifestWhenThereIsANodeApi() {
        String rootImage = "sha256:" + "cd".repeat(32);
        // Refused before the node API is even asked: there is nothing it could answer that makes it right.
        assertThatThrownBy(() -> BootConfig.merge(KernelCommandLine.parse("tether.node=n1 tether.rootimage=" + rootImage),
                Optional.of(ADDON), AddonProfile.DEFAULT_PATH))
                .isInstanceOf(BootConfigException.class)
                .hasMessageStartingWith("the kernel command line names a root image (tether.rootimage=" + rootImage
                        + "), which skips the image's manifest; this profile has a node API")
                .hasMessageContaining("remove tether.rootimage=");
    }

    @Test
    void aNodeApiAnswerWithoutAnImageDoesNotFallBackToPlainHttp() {
        assertThatThrownBy(() -> merge("tether.node=n1 tether.image=" + IMAGE, remote(null, "tethered")))
                .isInstanceOf(BootConfigException.class)
                .hasMessage("the node API's boot configuration names no image, and the image may come only from the"
                        + " node API when there is one; check that the NodeProfile's image is built");
    }

    @Test
    void withoutANodeApiTheCommandLineStillNamesTheRootImage() throws Exception {
        String rootImage = "sha256:" + "cd".repeat(32);
        BootConfig config = BootConfig.merge(KernelCommandLine.parse("tether.edges=http://edge tether.rootimage="
                + rootImage), Optional.empty(), AddonProfile.DEFAULT_PATH);
        assertThat(config.rootImage()).contains(rootImage);
    }
}

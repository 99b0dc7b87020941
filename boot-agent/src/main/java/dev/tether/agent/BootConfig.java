package dev.tether.agent;

import dev.tether.agent.root.ZramSettings;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Everything the boot needs to know, merged from the kernel command line and the addon profile (the
 * command line wins: it is the more specific, per-node source).
 *
 * @param image the image (manifest) digest, when known
 * @param rootImage the root image container's digest; when given, the manifest need not be fetched
 */
public record BootConfig(
        Optional<String> node,
        Optional<String> profile,
        ImageMethod method,
        List<URI> edges,
        Optional<String> image,
        Optional<String> rootImage,
        ZramSettings zram,
        ConsoleMode console,
        boolean debug,
        List<URI> nodeApi) {

    /** Tethered unless told otherwise: the node boots as soon as the first chunks arrive. */
    public static final ImageMethod DEFAULT_METHOD = ImageMethod.TETHERED;

    public static BootConfig merge(KernelCommandLine cmdline, Optional<AddonProfile> addon, Path addonPath)
            throws BootConfigException {
        ImageMethod method;
        List<URI> edges;
        Optional<String> image;
        List<URI> nodeApi;
        try {
            method = cmdline.method().or(() -> addon.flatMap(AddonProfile::imageMethod)).orElse(DEFAULT_METHOD);
            edges = !cmdline.edges().isEmpty() ? cmdline.edges() : addon.map(AddonProfile::edgeUrls).orElse(List.of());
            image = cmdline.image().or(() -> addon.flatMap(AddonProfile::imageDigest));
            nodeApi = addon.map(AddonProfile::nodeApiUrls).orElse(List.of());
        } catch (IllegalArgumentException e) {
            throw new BootConfigException("the addon profile " + addonPath + ": " + e.getMessage(), e);
        }
        if (edges.isEmpty()) {
            throw new BootConfigException("no edges to boot from: the kernel command line has no tether.edges= and "
                    + (addon.isPresent() ? "the addon profile " + addonPath + " lists none" : "there is no addon profile at " + addonPath)
                    + "; check the node's iPXE script (GET /boot/ipxe?mac=...) and the NodeProfile's ready edges");
        }
        if (image.isEmpty() && cmdline.rootImage().isEmpty()) {
            throw new BootConfigException("no image to boot: give tether.image=sha256:<manifest digest> on the kernel"
                    + " command line or in the addon profile; check that the NodeProfile's image is built");
        }
        ZramSettings zram = new ZramSettings(cmdline.zram().orElse(ZramSettings.DEFAULT.size()), cmdline.zramAlgorithm());
        return new BootConfig(cmdline.node(), cmdline.profile().or(() -> addon.map(AddonProfile::profile)),
                method, edges, image, cmdline.rootImage(), zram, cmdline.console().orElse(ConsoleMode.KMSG),
                cmdline.debug(), nodeApi);
    }
}

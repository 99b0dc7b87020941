package dev.tether.agent;

import dev.tether.agent.root.ZramSettings;
import dev.tether.agent.root.ZramSize;
import dev.tether.agent.trust.TpmPolicy;
import dev.tether.nodeapi.BootConfiguration;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Everything the boot needs to know, merged from the kernel command line, the node API's boot configuration
 * (when the profile has a node API) and the addon profile. The command line and the addon archive arrive over
 * plain HTTP and may be forged; the node API's answer is authenticated. So where a node API exists, what decides
 * which root the node boots (the image, how it is read, the profile) comes from it alone: a command line
 * {@code tether.image=} that differs stops the boot, and {@code tether.rootimage=} (which skips the manifest
 * and so its pins) is refused. The command line still wins, as the more specific per-node source, for what
 * cannot weaken security: the edges (untrusted by design, every byte from them checked against the node API's
 * digest, so a forged list can only deny service, which a forged command line can anyway), the writable
 * layer's size and compression, the console and debug output. Without a node API nothing is authenticated,
 * and the command line wins over the addon archive.
 *
 * @param image the image (manifest) digest, when known
 * @param rootImage the root image container's digest; when given, the manifest need not be fetched
 * @param namespace the profile's namespace (from the addon), which the node API's paths name
 * @param persistencePaths paths kept across reboots, from the node API's boot configuration
 * @param tpmPolicy the addon profile's TPM policy ({@code preferred} when it says none)
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
        List<URI> nodeApi,
        Optional<String> namespace,
        List<String> persistencePaths,
        TpmPolicy tpmPolicy) {

    /** Tethered unless told otherwise: the node boots as soon as the first chunks arrive. */
    public static final ImageMethod DEFAULT_METHOD = ImageMethod.TETHERED;

    /**
     * The command line and the addon. With node API URLs in the addon, edges and image may still come from the
     * node API, so their absence is not an error yet: {@link #merge(KernelCommandLine, Optional, Path, Optional)}
     * with the boot configuration decides.
     */
    public static BootConfig merge(KernelCommandLine cmdline, Optional<AddonProfile> addon, Path addonPath)
            throws BootConfigException {
        return merge(cmdline, addon, addonPath, Optional.empty());
    }

    public static BootConfig merge(KernelCommandLine cmdline, Optional<AddonProfile> addon, Path addonPath,
            Optional<BootConfiguration> remote) throws BootConfigException {
        ImageMethod method;
        List<URI> edges;
        Optional<String> image;
        List<URI> nodeApi;
        TpmPolicy tpmPolicy;
        try {
            method = cmdline.method().or(() -> addon.flatMap(AddonProfile::imageMethod)).orElse(DEFAULT_METHOD);
            edges = !cmdline.edges().isEmpty() ? cmdline.edges() : addon.map(AddonProfile::edgeUrls).orElse(List.of());
            image = cmdline.image().or(() -> addon.flatMap(AddonProfile::imageDigest));
            nodeApi = addon.map(AddonProfile::nodeApiUrls).orElse(List.of());
            tpmPolicy = addon.map(AddonProfile::tpmPolicyOrDefault).orElse(TpmPolicy.DEFAULT);
        } catch (IllegalArgumentException e) {
            throw new BootConfigException("the addon profile " + addonPath + ": " + e.getMessage(), e);
        }
        Optional<ZramSize> zramSize = cmdline.zram();
        Optional<String> algorithm = cmdline.zramAlgorithm();
        Optional<String> profile = cmdline.profile().or(() -> addon.map(AddonProfile::profile));
        List<String> persistence = List.of();
        if (!nodeApi.isEmpty() && cmdline.rootImage().isPresent()) {
            throw new BootConfigException("the kernel command line names a root image (tether.rootimage="
                    + cmdline.rootImage().get() + "), which skips the image's manifest; this profile has a node API,"
                    + " whose image digest and manifest alone say what the node boots: remove tether.rootimage= (check"
                    + " the node's iPXE script, GET /boot/ipxe?mac=..., and who can change it)");
        }
        if (remote.isPresent()) {
            BootConfiguration config = remote.get();
            if (config.image() == null) {
                throw new BootConfigException("the node API's boot configuration names no image, and the image may come"
                        + " only from the node API when there is one; check that the NodeProfile's image is built");
            }
            try {
                // How the image is read decides how much is checked before it is mounted (untethered checks the
                // whole download's digest), so a forged command line must not choose it.
                if (config.method() != null) {
                    method = ImageMethod.parse(config.method());
                }
                if (cmdline.edges().isEmpty() && config.edges() != null && !config.edges().isEmpty()) {
                    List<URI> fromApi = new ArrayList<>();
                    for (String edge : config.edges()) {
                        fromApi.add(EdgeUrls.parse("edges", edge));
                    }
                    edges = List.copyOf(fromApi);
                }
                image = Optional.of(Digests.requireSha256("image", config.image()));
                if (config.profile() != null) {
                    profile = Optional.of(config.profile());
                }
                BootConfiguration.WritableLayer writable = config.writableLayer();
                if (zramSize.isEmpty() && writable != null) {
                    zramSize = writable.sizeBytes() != null ? Optional.of(new ZramSize.Bytes(writable.sizeBytes()))
                            : writable.ramFraction() != null ? Optional.of(new ZramSize.Fraction(writable.ramFraction()))
                            : Optional.empty();
                }
                if (algorithm.isEmpty() && writable != null && writable.compression() != null
                        && !writable.compression().isEmpty()) {
                    if (!writable.compression().matches("[a-z0-9][a-z0-9-]{0,31}")) {
                        throw new IllegalArgumentException("writableLayer.compression '" + writable.compression()
                                + "' is not an algorithm name (zstd, lz4, lzo-rle)");
                    }
                    algorithm = Optional.of(writable.compression());
                }
                persistence = config.persistencePaths() == null ? List.of() : List.copyOf(config.persistencePaths());
            } catch (IllegalArgumentException e) {
                throw new BootConfigException("the node API's boot configuration: " + e.getMessage()
                        + "; check the NodeProfile", e);
            }
            if (cmdline.image().isPresent() && !cmdline.image().equals(image)) {
                throw new BootConfigException("the kernel command line names the image " + cmdline.image().get()
                        + " but the node API (authenticated) says " + image.get() + "; the command line comes over plain"
                        + " HTTP, so the boot stops rather than choose: reboot to fetch a fresh iPXE script (one fetched"
                        + " before a new image version was published names the old one), and if it persists, check the"
                        + " edge serving /boot/ipxe?mac=... and who can change what it serves");
            }
        }
        boolean complete = nodeApi.isEmpty() || remote.isPresent();
        if (complete && edges.isEmpty()) {
            throw new BootConfigException("no edges to boot from: the kernel command line has no tether.edges= and "
                    + (remote.isPresent() ? "neither the node API's boot configuration nor the addon profile lists any"
                            : addon.isPresent() ? "the addon profile " + addonPath + " lists none"
                            : "there is no addon profile at " + addonPath)
                    + "; check the node's iPXE script (GET /boot/ipxe?mac=...) and the NodeProfile's ready edges");
        }
        if (complete && image.isEmpty() && cmdline.rootImage().isEmpty()) {
            throw new BootConfigException("no image to boot: give tether.image=sha256:<manifest digest> on the kernel"
                    + " command line or in the addon profile; check that the NodeProfile's image is built");
        }
        ZramSettings zram = new ZramSettings(zramSize.orElse(ZramSettings.DEFAULT.size()), algorithm);
        return new BootConfig(cmdline.node(), profile, method, edges, image, cmdline.rootImage(), zram,
                cmdline.console().orElse(ConsoleMode.KMSG), cmdline.debug(), nodeApi,
                addon.map(AddonProfile::namespace).filter(n -> !n.isEmpty()), persistence, tpmPolicy);
    }
}

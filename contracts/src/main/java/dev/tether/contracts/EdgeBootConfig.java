package dev.tether.contracts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * {@value #FILE}: what an edge needs to answer a booting node, written by the operator into each profile's boot
 * ConfigMap and read by that profile's edges (docs/contracts.md). For the profile, the digests of its kernel,
 * initramfs, root image and manifest and its kernel command line; for each MAC of its NodeCredentials, which node
 * it is; the edges' own URLs; and, when the profile lets unknown machines register, under which MAC prefixes.
 *
 * <p>This is the wire shape only. The edge holds every field to strict rules when it loads the file (it ends up in
 * iPXE scripts and kernel command lines) and refuses the whole file otherwise; fields it does not know are ignored,
 * so an operator may add one before its edges read it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record EdgeBootConfig(String namespace, Map<String, Profile> profiles, Map<String, Node> nodes,
                             List<String> edgeUrls, Discovery discovery) {
    /** The file's name in the ConfigMap and in the edge's boot directory. */
    public static final String FILE = "boot.json";

    /**
     * How a profile's nodes boot: digests are {@code sha256:<hex>} ({@link BlobDigest}); {@code method} is
     * {@value #TETHERED} (the root read on demand from the edges) or {@value #UNTETHERED} (downloaded into RAM).
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Profile(String image, String kernel, String initramfs, String rootImage, String method,
                          String kernelArgs, String addonFile) {
        public static final String TETHERED = "tethered";
        public static final String UNTETHERED = "untethered";
    }

    /** The node a MAC belongs to: its name, its NodeCredential's name and its profile. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Node(String node, String credential, String profile) {
    }

    /** Unknown machines whose MAC starts with one of {@code macPrefixes} (any, if empty) register with {@code profile}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Discovery(String profile, List<String> macPrefixes) {
    }

    /** The name of the addon archive (CA certificate, profile, edges) that a profile's nodes load as a second initrd. */
    public static String addonFile(String profile) {
        return "addon-" + profile + ".cpio";
    }
}

package dev.tether.content.boot;

import dev.tether.contracts.BlobDigest;
import dev.tether.contracts.EdgeBootConfig;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What an edge needs to boot nodes: the operator's {@link EdgeBootConfig} (boot.json, mounted from the profile's
 * ConfigMap) as this edge loaded and checked it:
 * <pre>{@code
 * {"profiles":{"compute":{"kernel":"sha256:…","initramfs":"sha256:…","rootImage":"sha256:…",
 *    "image":"sha256:<manifest>","method":"tethered","kernelArgs":"console=ttyS0",
 *    "addonFile":"addon-compute.cpio"}},
 *  "nodes":{"52:54:00:12:34:56":{"node":"n1","profile":"compute"}},
 *  "edgeUrls":["http://10.0.0.5:8080"],
 *  "discovery":{"profile":"compute","macPrefixes":["52:54:00"]}}
 * }</pre>
 * {@code discovery} is present when a profile lets unknown machines register: a MAC no node lists, under one of the
 * prefixes (any, when there are none), boots that profile's kernel and initramfs to register.
 * Everything is validated when loaded, because it ends up in an iPXE script and a kernel command
 * line: names are DNS-like, digests strict, and nothing may carry a line break or a space where the
 * command line splits on them.
 */
public record LoadedBootConfig(Map<String, Profile> profiles, Map<MacAddress, NodeEntry> nodes, List<String> edgeUrls,
                         Optional<Discovery> discovery, Path directory) {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern URL = Pattern.compile("https?://[A-Za-z0-9.\\-\\[\\]:]+(/[A-Za-z0-9._~/\\-]*)?");
    private static final Pattern FILE = Pattern.compile("[A-Za-z0-9._-]{1,255}");
    private static final Pattern MAC_PREFIX = Pattern.compile("[0-9a-f]{2}(:[0-9a-f]{2}){0,5}");
    private static final int MAX_PREFIXES = 64;

    public record Profile(String name, BlobDigest kernel, BlobDigest initramfs, BlobDigest rootImage, BlobDigest image, String method,
                          String kernelArgs, String addonFile) {
    }

    public record NodeEntry(String node, String profile) {
    }

    /** Unknown machines whose MAC starts with one of {@code macPrefixes} (any, if empty) register with {@code profile}. */
    public record Discovery(String profile, List<String> macPrefixes) {
        public boolean admits(MacAddress mac) {
            return macPrefixes.isEmpty() || macPrefixes.stream().anyMatch(mac.toString()::startsWith);
        }
    }

    public static LoadedBootConfig empty(Path directory) {
        return new LoadedBootConfig(Map.of(), Map.of(), List.of(), Optional.empty(), directory);
    }

    public static LoadedBootConfig load(Path file) throws IOException {
        EdgeBootConfig raw;
        try {
            raw = JSON.readValue(Files.readAllBytes(file), EdgeBootConfig.class);
        } catch (JacksonException e) {
            throw new InvalidBootConfig(file + " is not valid boot configuration JSON: " + e.getOriginalMessage());
        }
        if (raw == null) {
            throw new InvalidBootConfig(file + " is empty");
        }
        Path dir = file.toAbsolutePath().getParent();
        Map<String, Profile> profiles = new LinkedHashMap<>();
        if (raw.profiles() != null) {
            for (var e : raw.profiles().entrySet()) {
                profiles.put(e.getKey(), profile(e.getKey(), e.getValue()));
            }
        }
        Map<MacAddress, NodeEntry> nodes = new LinkedHashMap<>();
        if (raw.nodes() != null) {
            for (var e : raw.nodes().entrySet()) {
                MacAddress mac = MacAddress.parseOrNull(e.getKey());
                EdgeBootConfig.Node n = e.getValue();
                require(mac != null, "nodes: \"" + e.getKey() + "\" is not a MAC address like 52:54:00:12:34:56");
                require(n != null && n.node() != null && NAME.matcher(n.node()).matches(),
                        "nodes." + mac + ".node must be a lowercase DNS name");
                require(n.profile() != null && profiles.containsKey(n.profile()),
                        "nodes." + mac + ".profile names a profile that is not in profiles: " + n.profile());
                require(nodes.put(mac, new NodeEntry(n.node(), n.profile())) == null, "nodes: " + mac + " is listed twice");
            }
        }
        List<String> edges = raw.edgeUrls() == null ? List.of() : List.copyOf(raw.edgeUrls());
        for (String u : edges) {
            require(u != null && URL.matcher(u).matches(), "edgeUrls: not a plain http(s) URL: " + u);
        }
        return new LoadedBootConfig(Map.copyOf(profiles), Map.copyOf(nodes), edges, discovery(raw.discovery(), profiles), dir);
    }

    private static Optional<Discovery> discovery(EdgeBootConfig.Discovery raw, Map<String, Profile> profiles) {
        if (raw == null) {
            return Optional.empty();
        }
        require(raw.profile() != null && profiles.containsKey(raw.profile()),
                "discovery.profile names a profile that is not in profiles: " + raw.profile());
        List<String> prefixes = raw.macPrefixes() == null ? List.of() : List.copyOf(raw.macPrefixes());
        require(prefixes.size() <= MAX_PREFIXES, "discovery.macPrefixes: at most " + MAX_PREFIXES);
        for (String prefix : prefixes) {
            require(prefix != null && MAC_PREFIX.matcher(prefix).matches(),
                    "discovery.macPrefixes: not a MAC prefix like 52:54:00: " + prefix);
        }
        return Optional.of(new Discovery(raw.profile(), prefixes));
    }

    private static Profile profile(String name, EdgeBootConfig.Profile p) {
        String where = "profiles." + name;
        require(NAME.matcher(name).matches(), where + ": a profile name must be a lowercase DNS name");
        require(p != null, where + " is empty");
        String method = p.method() == null ? EdgeBootConfig.Profile.TETHERED : p.method();
        require(method.equals(EdgeBootConfig.Profile.TETHERED) || method.equals(EdgeBootConfig.Profile.UNTETHERED),
                where + ".method must be tethered or untethered");
        String args = p.kernelArgs() == null ? "" : p.kernelArgs().strip();
        require(args.length() <= 4096 && args.chars().allMatch(c -> c >= 0x20 && c < 0x7f),
                where + ".kernelArgs must be printable ASCII on one line, at most 4096 characters");
        require(p.addonFile() == null || FILE.matcher(p.addonFile()).matches() && !p.addonFile().startsWith("."),
                where + ".addonFile must be a file name in the configuration's directory");
        return new Profile(name, digest(where + ".kernel", p.kernel()), digest(where + ".initramfs", p.initramfs()),
                digest(where + ".rootImage", p.rootImage()), digest(where + ".image", p.image()), method, args, p.addonFile());
    }

    private static BlobDigest digest(String where, String value) {
        try {
            return BlobDigest.parse(value);
        } catch (IllegalArgumentException e) {
            throw new InvalidBootConfig(where + ": " + e.getMessage());
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new InvalidBootConfig(message);
        }
    }

    /** Every blob a node booting from this configuration will fetch: what to prefetch and keep. */
    /**
     * Every blob the profiles name, in the order a booting node asks for them: the kernels, then the initramfs images,
     * then the manifests, and the root images last (profiles by name within each). An edge that starts cold prefetches
     * them in this order, one at a time, so that the first nodes' kernels do not wait behind a root image of hundreds
     * of megabytes, nor their initramfs images (which they ask for next) behind it.
     */
    public Set<BlobDigest> referencedDigests() {
        List<Profile> byName = profiles.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(Map.Entry::getValue)
                .toList();
        Set<BlobDigest> out = new LinkedHashSet<>();
        byName.forEach(p -> out.add(p.kernel()));
        byName.forEach(p -> out.add(p.initramfs()));
        byName.forEach(p -> out.add(p.image()));
        byName.forEach(p -> out.add(p.rootImage()));
        return out;
    }

    public static final class InvalidBootConfig extends IllegalArgumentException {
        public InvalidBootConfig(String message) {
            super(message);
        }
    }
}

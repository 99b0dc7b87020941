package dev.tether.operator.profile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.contracts.BlobDigest;
import dev.tether.contracts.EdgeBootConfig;
import java.util.Collection;
import java.util.List;
import java.util.TreeMap;

/**
 * Writes a profile's {@link EdgeBootConfig} (boot.json, docs/contracts.md), what its edges need to answer a booting
 * node. Built by a pure function so it is tested without a cluster.
 */
public final class BootJson {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private BootJson() {}

    public static String addonFile(String profile) {
        return EdgeBootConfig.addonFile(profile);
    }

    public static String json(NodeProfile profile, ResolvedImage image, Collection<NodeCredential> credentials, List<String> edgeUrls) {
        String name = profile.getMetadata().getName();
        var profiles = new TreeMap<String, EdgeBootConfig.Profile>();
        if (image.ok()) {
            var artifacts = image.version().artifacts;
            profiles.put(name, new EdgeBootConfig.Profile(image.version().digest, digestOf(artifacts.kernel),
                    digestOf(artifacts.initramfs), digestOf(artifacts.rootImage), method(profile),
                    String.join(" ", profile.getSpec().kernelArgs), addonFile(name)));
        }
        var nodes = new TreeMap<String, EdgeBootConfig.Node>();
        for (NodeCredential credential : credentials) {
            if (!name.equals(credential.getSpec().profile) || credential.getSpec().hardware == null) {
                continue;
            }
            for (String mac : credential.getSpec().hardware.macs) {
                nodes.put(mac, new EdgeBootConfig.Node(credential.getSpec().nodeName, credential.getMetadata().getName(), name));
            }
        }
        var discovery = profile.getSpec().discovery;
        // Unknown machines under these prefixes boot this profile's kernel to register (issue 20).
        var registration = image.ok() && discovery != null && Boolean.TRUE.equals(discovery.enabled)
                ? new EdgeBootConfig.Discovery(name, discovery.macPrefixes == null ? List.of() : discovery.macPrefixes)
                : null;
        var config = new EdgeBootConfig(profile.getMetadata().getNamespace(), profiles, nodes, edgeUrls, registration);
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write boot config", e);
        }
    }

    static String method(NodeProfile profile) {
        return profile.getSpec().imageMethod == NodeProfileSpec.ImageMethod.UNTETHERED
                ? EdgeBootConfig.Profile.UNTETHERED : EdgeBootConfig.Profile.TETHERED;
    }

    /** The digest of a blob from its path in the image's status ({@code /blobs/sha256/<hex>}). */
    private static String digestOf(String blobPath) {
        return BlobDigest.PREFIX + blobPath.substring(blobPath.lastIndexOf('/') + 1);
    }
}

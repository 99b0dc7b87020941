package dev.tether.operator.profile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What an edge needs to answer a booting node (docs/contracts.md): for the profile, the digests of
 * kernel, initramfs and root image and the kernel command line; for each MAC of the profile's
 * NodeCredentials, which node it is. Built by a pure function so it is tested without a cluster.
 */
public final class BootConfig {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private BootConfig() {}

    public static String addonFile(String profile) {
        return "addon-" + profile + ".cpio";
    }

    public static String json(NodeProfile profile, ResolvedImage image, Collection<NodeCredential> credentials, List<String> edgeUrls) {
        String name = profile.getMetadata().getName();
        var profiles = new TreeMap<String, Object>();
        if (image.ok()) {
            var artifacts = image.version().artifacts;
            var entry = new LinkedHashMap<String, Object>();
            entry.put("image", image.version().digest);
            entry.put("kernel", digestOf(artifacts.kernel));
            entry.put("initramfs", digestOf(artifacts.initramfs));
            entry.put("rootImage", digestOf(artifacts.rootImage));
            entry.put("method", method(profile));
            entry.put("kernelArgs", String.join(" ", profile.getSpec().kernelArgs));
            entry.put("addonFile", addonFile(name));
            profiles.put(name, entry);
        }
        var nodes = new TreeMap<String, Object>();
        for (NodeCredential credential : credentials) {
            if (!name.equals(credential.getSpec().profile) || credential.getSpec().hardware == null) {
                continue;
            }
            for (String mac : credential.getSpec().hardware.macs) {
                nodes.put(mac, Map.of("node", credential.getSpec().nodeName, "credential", credential.getMetadata().getName(), "profile", name));
            }
        }
        var config = new LinkedHashMap<String, Object>();
        config.put("namespace", profile.getMetadata().getNamespace());
        config.put("profiles", profiles);
        config.put("nodes", nodes);
        config.put("edgeUrls", edgeUrls);
        var discovery = profile.getSpec().discovery;
        if (image.ok() && discovery != null && Boolean.TRUE.equals(discovery.enabled)) {
            // Unknown machines under these prefixes boot this profile's kernel to register (issue 20).
            config.put("discovery", Map.of("profile", name, "macPrefixes", discovery.macPrefixes == null ? List.of() : discovery.macPrefixes));
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write boot config", e);
        }
    }

    static String method(NodeProfile profile) {
        return profile.getSpec().imageMethod == NodeProfileSpec.ImageMethod.UNTETHERED ? "untethered" : "tethered";
    }

    private static String digestOf(String blobPath) {
        return "sha256:" + blobPath.substring(blobPath.lastIndexOf('/') + 1);
    }
}

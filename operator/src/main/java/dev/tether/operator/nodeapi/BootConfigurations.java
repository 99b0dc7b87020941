package dev.tether.operator.nodeapi;

import dev.tether.api.v1alpha1.DisklessImageStatus.ImageVersion;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.api.v1alpha1.NodeProfileSpec;
import dev.tether.nodeapi.BootConfiguration;
import dev.tether.nodeapi.NodeIdentity;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/** A node's {@link BootConfiguration}: a pure function of its credential, profile, image version and secrets. */
final class BootConfigurations {
    private BootConfigurations() {}

    /** @param identity the node's host name and rendered node files ({@code NodeIdentities}) */
    static BootConfiguration of(NodeCredential credential, NodeProfile profile, ImageVersion version, String rootPasswordHash,
                                String sshCaPublicKey, NodeIdentity identity) {
        var spec = profile.getSpec();
        var node = credential.getSpec();
        var ssh = spec.ssh == null ? new NodeProfileSpec.Ssh() : spec.ssh;
        List<String> edges = profile.getStatus() == null ? List.of() : List.copyOf(profile.getStatus().edgeUrls);
        return new BootConfiguration(
                credential.getMetadata().getNamespace(),
                node.nodeName,
                node.fqdn,
                List.copyOf(node.addresses),
                profile.getMetadata().getName(),
                version.digest,
                spec.imageMethod == NodeProfileSpec.ImageMethod.UNTETHERED ? "untethered" : "tethered",
                edges,
                List.copyOf(spec.kernelArgs),
                writableLayer(spec.writableLayer),
                spec.persistence == null ? List.of() : List.copyOf(spec.persistence.paths),
                rootPasswordHash,
                new BootConfiguration.Ssh(sshCaPublicKey, hostKeyTypes(ssh), List.copyOf(ssh.authorizedKeys)),
                lower(spec.tpmPolicy == null ? NodeProfileSpec.TpmPolicy.PREFERRED : spec.tpmPolicy),
                identity);
    }

    /** ed25519 always, then whatever else the profile asks for, in its order. */
    private static List<String> hostKeyTypes(NodeProfileSpec.Ssh ssh) {
        var types = new LinkedHashSet<String>();
        types.add("ed25519");
        ssh.hostKeyTypes.forEach(t -> types.add(lower(t)));
        return List.copyOf(types);
    }

    private static BootConfiguration.WritableLayer writableLayer(NodeProfileSpec.WritableLayer layer) {
        if (layer == null) {
            return null;
        }
        String compression = layer.compression == null ? null : switch (layer.compression) {
            case LZO_RLE -> "lzo-rle";
            case C842 -> "842";
            default -> lower(layer.compression);
        };
        return new BootConfiguration.WritableLayer(layer.ramFraction, layer.size == null ? null : bytes(layer.size), compression);
    }

    /** {@code 8Gi} → 8589934592; the schema allows only a count with an optional binary suffix. */
    static long bytes(String size) {
        String[] suffixes = {"Ki", "Mi", "Gi", "Ti"};
        for (int i = 0; i < suffixes.length; i++) {
            if (size.endsWith(suffixes[i])) {
                return Math.multiplyExact(Long.parseLong(size.substring(0, size.length() - 2)), 1L << (10 * (i + 1)));
            }
        }
        return Long.parseLong(size);
    }

    private static String lower(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}

package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** How a group of nodes boots. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NodeProfileSpec {
    @Required
    public ImageRef image;

    @Default("tethered")
    public ImageMethod imageMethod = ImageMethod.TETHERED;

    /** Extra kernel command-line arguments, one per entry. */
    @Size(max = 64)
    public List<@Pattern("^[^\\s\"]+$") @Size(max = 512) String> kernelArgs = new ArrayList<>();

    public WritableLayer writableLayer;

    public Persistence persistence;

    /**
     * A crypt(3) hash of the root password, in a Secret of this namespace labelled {@code tether.dev/use=root-password}
     * (the operator reads no other Secret for it); no password login when absent.
     */
    public SecretKeyRef rootPasswordHash;

    public Ssh ssh;

    public Edges edges;

    @Default("preferred")
    public TpmPolicy tpmPolicy = TpmPolicy.PREFERRED;

    public enum ImageMethod {
        /** Fetch the image on demand from the edges, chunk by chunk. */
        @JsonProperty("tethered") TETHERED,
        /** Download the whole image into RAM before mounting it. */
        @JsonProperty("untethered") UNTETHERED
    }

    public enum TpmPolicy {
        /** No TPM: stop the boot with a message. */
        @JsonProperty("required") REQUIRED,
        /** Use a TPM where there is one; fall back to the network key (if armed) elsewhere. */
        @JsonProperty("preferred") PREFERRED,
        /** Never touch a TPM. */
        @JsonProperty("disabled") DISABLED
    }

    /** A DisklessImage in this namespace, optionally pinned to one published version. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ImageRef {
        @Required
        @Pattern(Patterns.DNS_SUBDOMAIN)
        @Size(max = 253)
        public String name;

        /** Boot this version instead of the newest published one. */
        @Pattern(Patterns.DIGEST)
        public String digest;

        public ImageRef() {}

        public ImageRef(String name, String digest) {
            this.name = name;
            this.digest = digest;
        }
    }

    /** The writable root: xfs on a compressed zram device, lost at reboot except persisted paths. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @ValidationRule(value = "!(has(self.ramFraction) && has(self.size))",
            message = "give either ramFraction or size, not both")
    public static class WritableLayer {
        /** Size of the zram device as a fraction of the node's RAM (0 < f <= 1); default 0.5. */
        @Min(value = 0, inclusive = false)
        @Max(1)
        public Double ramFraction;

        /** Size of the zram device in bytes (1073741824) or with a binary suffix (8Gi). */
        @Pattern(Patterns.BINARY_SIZE)
        public String size;

        /** zram compression algorithm; the kernel's default when absent. */
        public ZramAlgorithm compression;
    }

    public enum ZramAlgorithm {
        @JsonProperty("lzo") LZO,
        @JsonProperty("lzo-rle") LZO_RLE,
        @JsonProperty("lz4") LZ4,
        @JsonProperty("lz4hc") LZ4HC,
        @JsonProperty("zstd") ZSTD,
        @JsonProperty("deflate") DEFLATE,
        @JsonProperty("842") C842
    }

    /** Paths kept across reboots; everything else written on a node is lost when it restarts. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Persistence {
        @Size(max = 64)
        public List<@Pattern(Patterns.ABSOLUTE_PATH) @Size(max = 4096) String> paths = new ArrayList<>();
    }

    /** SSH host certificates and login. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Ssh {
        /** Validity of host certificates issued at boot. */
        @Default("720h")
        @Pattern(Patterns.DURATION)
        public String certificateValidity = "720h";

        /**
         * Principals added to every node's certificate, beyond its name, FQDN and addresses, as far as the operator's
         * principal policy gives them to this namespace.
         */
        @Size(max = 32)
        public List<@Pattern("^[A-Za-z0-9.:_-]+$") @Size(max = 253) String> extraPrincipals = new ArrayList<>();

        /** Host key types generated at every boot; ed25519 always is. */
        @Size(max = 3)
        public List<HostKeyType> hostKeyTypes = new ArrayList<>(List.of(HostKeyType.ED25519));

        /** Public keys allowed to log in as root (authorized_keys lines). */
        @Size(max = 64)
        public List<@Pattern("^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+( .*)?$") @Size(max = 16384) String>
                authorizedKeys = new ArrayList<>();
    }

    public enum HostKeyType {
        @JsonProperty("ed25519") ED25519,
        @JsonProperty("ecdsa") ECDSA,
        @JsonProperty("rsa") RSA
    }

    /** The edge DaemonSet: content servers on the cluster's nodes that this profile's nodes boot from. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @ValidationRule(value = "!has(self.port) || !has(self.apiPort) || self.port != self.apiPort",
            message = "port and apiPort must differ")
    public static class Edges {
        public Map<String, String> nodeSelector;
        public List<Toleration> tolerations;
        public ResourceRequirements resources;

        /** HTTP port on the host for boot files and images. */
        @Default("8080")
        @Min(1)
        @Max(65535)
        public Integer port = 8080;

        /** Port on the host that passes the node API through to the operator. */
        @Default("8443")
        @Min(1)
        @Max(65535)
        public Integer apiPort = 8443;

        /** Disk quota of each edge's cache. */
        @Default("20Gi")
        @Pattern(Patterns.BINARY_SIZE)
        public String cacheSize = "20Gi";

        /** Serve on the host's network, so nodes that PXE boot reach the edge by the host's address. */
        @Default("true")
        public Boolean hostNetwork = true;
    }
}

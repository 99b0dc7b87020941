package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
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
@JsonClassDescription("How the profile's nodes boot.")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NodeProfileSpec {
    @JsonPropertyDescription("The DisklessImage the nodes boot.")
    @Required
    public ImageRef image;

    @JsonPropertyDescription("tethered: fetch the image from the edges chunk by chunk as it is read; untethered: copy it into RAM "
            + "(the node boots from the edges while the copy is made, and needs them no more once it is complete).")
    @Default("tethered")
    public ImageMethod imageMethod = ImageMethod.TETHERED;

    @JsonPropertyDescription("Extra kernel command-line arguments, one per entry.")
    @Size(max = 64)
    public List<@Pattern("^[^\\s\"]+$") @Size(max = 512) String> kernelArgs = new ArrayList<>();

    @JsonPropertyDescription("The writable root on a compressed zram device.")
    public WritableLayer writableLayer;

    @JsonPropertyDescription("Paths kept across reboots.")
    public Persistence persistence;

    @JsonPropertyDescription("Machines that boot from this profile's edges with a MAC no NodeCredential lists: whether they may "
            + "register (as DiscoveredNodes) and be enrolled into this profile. Absent: they are told they are unknown.")
    public Discovery discovery;

    @JsonPropertyDescription("A crypt(3) hash of the root password, in a Secret of this namespace labelled tether.dev/use=root-"
            + "password (the operator reads no other Secret for it); no password login when absent.")
    public SecretKeyRef rootPasswordHash;

    @JsonPropertyDescription("SSH host certificates and root login.")
    public Ssh ssh;

    @JsonPropertyDescription("Where the edges (content servers the nodes boot from) run, and how.")
    public Edges edges;

    @JsonPropertyDescription("required: no boot without a TPM; preferred: use one where present; disabled: never touch one.")
    @Default("preferred")
    public TpmPolicy tpmPolicy = TpmPolicy.PREFERRED;

    @JsonPropertyDescription("The host name each node gives itself; its NodeCredential's nodeName when absent.")
    public NodeHostname hostname;

    @JsonPropertyDescription("Files rendered for each node from its NodeCredential (name, addresses, labels) and written into its root"
            + " at boot, e.g. /etc/hosts, chrony or Slurm configuration.")
    @Size(max = 32)
    @ValidationRule(value = "self.all(f, self.exists_one(g, g.path == f.path))", message = "node file paths must be unique")
    public List<NodeFileTemplate> nodeFiles = new ArrayList<>();
    @JsonPropertyDescription("Reboot the nodes through their BMCs onto a new image version, a few at a time; absent: nodes get a new "
            + "version when they next boot.")
    public Rollout rollout;

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
        @JsonPropertyDescription("Name of the DisklessImage in this namespace.")
        @Required
        @Pattern(Patterns.DNS_SUBDOMAIN)
        @Size(max = 253)
        public String name;

        @JsonPropertyDescription("Boot this version instead of the newest published one.")
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
        @JsonPropertyDescription("Size of the zram device as a fraction of the node's RAM (0 < f <= 1); default 0.5.")
        @Min(value = 0, inclusive = false)
        @Max(1)
        public Double ramFraction;

        @JsonPropertyDescription("Size of the zram device in bytes (1073741824) or with a binary suffix (8Gi).")
        @Pattern(Patterns.BINARY_SIZE)
        public String size;

        @JsonPropertyDescription("zram compression algorithm; the kernel's default when absent.")
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
        @JsonPropertyDescription("Absolute paths kept across reboots (directories or files), each node's own: restored before the"
                + " image's init runs, saved every saveInterval and at a clean shutdown. Not / itself, nor under /proc,"
                + " /sys, /dev, /run, /var/run or /tmp.")
        @Size(max = 64)
        public List<@Pattern(Patterns.ABSOLUTE_PATH) @Size(max = 4096) String> paths = new ArrayList<>();

        @JsonPropertyDescription("Largest encrypted archive of one node's kept paths, in bytes (67108864) or with a binary suffix"
                + " (64Mi); a save past it is refused and the node keeps its previous archive. The operator's own ceiling"
                + " (nodeApi.persistence.maxBytes in the chart) wins when smaller.")
        @Default("64Mi")
        @Pattern(Patterns.BINARY_SIZE)
        public String maxBytes = "64Mi";

        @JsonPropertyDescription("How often a running node saves its kept paths when they changed: what a crash may lose at most"
                + " (plus the time one save takes). At least 1m.")
        @Default("5m")
        @Pattern(Patterns.DURATION)
        public String saveInterval = "5m";
    }

    /**
     * Discovery and enrolment: an unknown machine that boots from this profile's edges registers what it is and waits;
     * accepted (by an administrator, or by {@code autoAccept}), it is enrolled as a NodeCredential of this profile.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Discovery {
        @JsonPropertyDescription("Let unknown machines register with this profile.")
        @Default("false")
        public Boolean enabled = false;

        @JsonPropertyDescription("Only machines whose boot MAC starts with one of these prefixes (e.g. 52:54:00 or 0c:c4:7a:10) may "
                + "register; empty: any unknown MAC.")
        @Size(max = 64)
        public List<@Pattern("^[0-9a-f]{2}(:[0-9a-f]{2}){0,5}$") String> macPrefixes = new ArrayList<>();

        @JsonPropertyDescription("Enrol registering machines without waiting for an administrator. Only sensible on a boot network "
                + "no stranger can reach, with macPrefixes naming the site's hardware. Machines that report no TPM are"
                + " never enrolled by it: without a TPM a node fetches its key at every boot on the strength of its MAC,"
                + " which an administrator must accept by name.")
        @Default("false")
        public Boolean autoAccept = false;

        @JsonPropertyDescription("Node names of enrolled machines: this prefix followed by the boot MAC's hex digits.")
        @Default("node-")
        @Pattern("^[a-z]([-a-z0-9]*)?$")
        @Size(max = 50)
        public String namePrefix = "node-";

        @JsonPropertyDescription("Most DiscoveredNodes waiting for acceptance in this namespace for this profile; the oldest is "
                + "deleted to make room for a new one.")
        @Default("100")
        @Min(1)
        @Max(1000)
        public Integer maxPending = 100;
    }

    /** SSH host certificates and login. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Ssh {
        @JsonPropertyDescription("Validity of host certificates issued at boot.")
        @Default("720h")
        @Pattern(Patterns.DURATION)
        public String certificateValidity = "720h";

        @JsonPropertyDescription("Principals added to every node's certificate, beyond its name, FQDN and addresses, as far as the "
                + "operator's principal policy gives them to this namespace.")
        @Size(max = 32)
        public List<@Pattern("^[A-Za-z0-9.:_-]+$") @Size(max = 253) String> extraPrincipals = new ArrayList<>();

        @JsonPropertyDescription("Host key types generated at every boot; ed25519 always is.")
        @Size(max = 3)
        public List<HostKeyType> hostKeyTypes = new ArrayList<>(List.of(HostKeyType.ED25519));

        @JsonPropertyDescription("Public keys allowed to log in as root (authorized_keys lines).")
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
        @JsonPropertyDescription("Labels of the cluster nodes that run an edge.")
        public Map<String, String> nodeSelector;
        @JsonPropertyDescription("Tolerations of the edge pods.")
        public List<Toleration> tolerations;
        @JsonPropertyDescription("CPU and memory of each edge.")
        public ResourceRequirements resources;

        @JsonPropertyDescription("HTTP port on the host for boot files and images.")
        @Default("8080")
        @Min(1)
        @Max(65535)
        public Integer port = 8080;

        @JsonPropertyDescription("Port on the host that passes the node API through to the operator.")
        @Default("8443")
        @Min(1)
        @Max(65535)
        public Integer apiPort = 8443;

        @JsonPropertyDescription("Disk quota of each edge's cache.")
        @Default("20Gi")
        @Pattern(Patterns.BINARY_SIZE)
        public String cacheSize = "20Gi";

        @JsonPropertyDescription("Serve on the host's network, so nodes that PXE boot reach the edge by the host's address.")
        @Default("true")
        public Boolean hostNetwork = true;
    }
}

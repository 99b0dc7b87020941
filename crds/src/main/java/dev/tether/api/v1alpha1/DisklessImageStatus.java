package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/** What was built: the version being served, the build in progress, and the versions kept. */
@JsonClassDescription("What was built: the version being served, the build in progress, and the versions kept.")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DisklessImageStatus {
    public static final String BUILT = "Built";
    public static final String PUBLISHED = "Published";

    @JsonPropertyDescription("Pending, Building, Published (the newest build is served) or Failed (the newest build failed; an older "
            + "version may still be served).")
    public Phase phase;
    @JsonPropertyDescription("The metadata.generation the status was computed for.")
    public Long observedGeneration;
    @JsonPropertyDescription("Ready, Reconciling (a build is running), Stalled (the build failed: change the spec), Built and "
            + "Published.")
    public List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("The image digest (of its manifest) that profiles boot by default: the newest published version.")
    public String digest;
    @JsonPropertyDescription("The first 12 hex digits of digest, for kubectl get.")
    public String shortDigest;
    @JsonPropertyDescription("Size of the root image as served, for people (812Mi).")
    public String size;
    @JsonPropertyDescription("Size of the root image as served, in bytes.")
    public Long rootImageBytes;
    @JsonPropertyDescription("Size of the squashfs inside the root image, in bytes.")
    public Long squashfsBytes;
    @JsonPropertyDescription("Kernel release of the served version (uname -r).")
    public String kernelVersion;
    @JsonPropertyDescription("For an image built from an OCI image: the digest of that image's manifest, as its registry shows it.")
    public String sourceDigest;
    @JsonPropertyDescription("Where the served version's artifacts are on the content servers.")
    public Artifacts artifacts;
    @JsonPropertyDescription("How to read the log of the newest build.")
    public String buildLog;
    @JsonPropertyDescription("Wall time of the newest finished build, in seconds.")
    public Long buildSeconds;

    @JsonPropertyDescription("The newest build: in progress, or how it ended.")
    public Build build;

    @JsonPropertyDescription("The boot order kept with the image (the first a node reported), which builds place first.")
    public BootOrder bootOrder;

    @JsonPropertyDescription("Published versions still kept, newest first.")
    public List<ImageVersion> versions = new ArrayList<>();

    public enum Phase {
        @JsonProperty("Pending") PENDING,
        @JsonProperty("Building") BUILDING,
        @JsonProperty("Published") PUBLISHED,
        @JsonProperty("Failed") FAILED
    }

    /** Where the artifacts of a version are on the content servers (paths under any edge). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Artifacts {
        @JsonPropertyDescription("Path of the manifest, which pins every other artifact by digest.")
        public String manifest;
        @JsonPropertyDescription("Path of the kernel.")
        public String kernel;
        @JsonPropertyDescription("Path of the initramfs.")
        public String initramfs;
        @JsonPropertyDescription("Path of the (encrypted) root image container.")
        public String rootImage;
    }

    /** The build of one spec generation. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Build {
        @JsonPropertyDescription("The spec generation being built.")
        public Long generation;
        @JsonPropertyDescription("Running, Succeeded or Failed.")
        public BuildState state;
        @JsonPropertyDescription("The builder Job.")
        public String jobName;
        @JsonPropertyDescription("The Secret with this build's image key (absent for unencrypted images).")
        public String keySecret;
        @JsonPropertyDescription("When the build started.")
        public String startedAt;
        @JsonPropertyDescription("When the build ended.")
        public String finishedAt;
        @JsonPropertyDescription("Why the build failed, with the last lines the builder printed.")
        public String failure;
        @JsonPropertyDescription("How many files of the boot order this build placed first (absent: built without one).")
        public Long bootOrderFiles;
        @JsonPropertyDescription("True for the build the operator started to re-pack the image with a boot order that"
                + " arrived after the spec's build; it is started once per generation.")
        public Boolean repack;
    }

    /** The boot order kept with the image: where it came from; the paths are in ConfigMap {@code configMap}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class BootOrder {
        @JsonPropertyDescription("The ConfigMap with the files, one path per line, in the order the boot first read them.")
        public String configMap;
        @JsonPropertyDescription("The version whose boot was recorded.")
        public String fromDigest;
        @JsonPropertyDescription("The node that reported it.")
        public String node;
        @JsonPropertyDescription("How many files it lists.")
        public Long files;
        @JsonPropertyDescription("When the operator kept it.")
        public String recordedAt;
    }

    public enum BuildState {
        @JsonProperty("Running") RUNNING,
        @JsonProperty("Succeeded") SUCCEEDED,
        @JsonProperty("Failed") FAILED
    }

    /** One immutable, published version of the image. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ImageVersion {
        @JsonPropertyDescription("Digest of the version's manifest: its content address.")
        public String digest;
        @JsonPropertyDescription("The spec generation it was built from.")
        public Long generation;
        @JsonPropertyDescription("When it was published.")
        public String publishedAt;
        @JsonPropertyDescription("Kernel release in this version.")
        public String kernelVersion;
        @JsonPropertyDescription("The OCI image's manifest digest, for a version built from one.")
        public String sourceDigest;
        @JsonPropertyDescription("Size of its root image, in bytes.")
        public Long rootImageBytes;
        @JsonPropertyDescription("Where its artifacts are on the content servers.")
        public Artifacts artifacts;
        @JsonPropertyDescription("Whether its root image is encrypted.")
        public Boolean encrypted;
        @JsonPropertyDescription("Key id of the image key (a fingerprint, never the key).")
        public String keyId;
        @JsonPropertyDescription("The Secret with its image key, released to nodes only by the node API.")
        public String keySecret;
    }
}

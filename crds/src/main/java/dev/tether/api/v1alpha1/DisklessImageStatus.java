package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.List;

/** What was built: the version being served, the build in progress, and the versions kept. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DisklessImageStatus {
    public static final String BUILT = "Built";
    public static final String PUBLISHED = "Published";

    public Phase phase;
    public Long observedGeneration;
    public List<Condition> conditions = new ArrayList<>();

    /** The image digest (of its manifest) that profiles boot by default: the newest published version. */
    public String digest;
    /** The first 12 hex digits of {@link #digest}, for {@code kubectl get}. */
    public String shortDigest;
    /** Size of the root image as served, for people ({@code 812Mi}). */
    public String size;
    public Long rootImageBytes;
    public Long squashfsBytes;
    public String kernelVersion;
    /** For an image built from an OCI image: the digest of that image's manifest, as its registry shows it. */
    public String sourceDigest;
    public Artifacts artifacts;
    /** How to read the log of the newest build. */
    public String buildLog;
    /** Wall time of the newest finished build, in seconds. */
    public Long buildSeconds;

    /** The newest build: in progress, or how it ended. */
    public Build build;

    /** Published versions still kept, newest first. */
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
        public String manifest;
        public String kernel;
        public String initramfs;
        public String rootImage;
    }

    /** The build of one spec generation. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Build {
        public Long generation;
        public BuildState state;
        public String jobName;
        /** The Secret with this build's image key (absent for unencrypted images). */
        public String keySecret;
        public String startedAt;
        public String finishedAt;
        /** Why the build failed, with the last lines the builder printed. */
        public String failure;
    }

    public enum BuildState {
        @JsonProperty("Running") RUNNING,
        @JsonProperty("Succeeded") SUCCEEDED,
        @JsonProperty("Failed") FAILED
    }

    /** One immutable, published version of the image. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ImageVersion {
        public String digest;
        public Long generation;
        public String publishedAt;
        public String kernelVersion;
        /** The OCI image's manifest digest, for a version built from one. */
        public String sourceDigest;
        public Long rootImageBytes;
        public Artifacts artifacts;
        public Boolean encrypted;
        /** Key id of the image key (a fingerprint, never the key). */
        public String keyId;
        public String keySecret;
    }
}

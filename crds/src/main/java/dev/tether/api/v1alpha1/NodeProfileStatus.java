package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/** What the profile's nodes boot now, and from where. */
@JsonClassDescription("What the profile's nodes boot now, and from which edges.")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NodeProfileStatus {
    public static final String READY = "Ready";

    @JsonPropertyDescription("The metadata.generation the status was computed for.")
    public Long observedGeneration;
    @JsonPropertyDescription("Ready, Reconciling (image building, edges starting) and Stalled (image missing or failed, no edge nodes,"
            + " unusable password Secret).")
    public List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("The image digest that new boots of this profile get.")
    public String digest;
    @JsonPropertyDescription("The first 12 hex digits of digest.")
    public String shortDigest;

    @JsonPropertyDescription("How many edges should run (cluster nodes matching spec.edges.nodeSelector).")
    public Integer desiredEdges;
    @JsonPropertyDescription("How many edges are ready.")
    public Integer readyEdges;
    @JsonPropertyDescription("Base URLs of the ready edges, as nodes reach them.")
    public List<String> edgeUrls = new ArrayList<>();

    @JsonPropertyDescription("How many of the profile's nodes last booted each digest.")
    public List<DigestCount> nodesByDigest = new ArrayList<>();
    @JsonPropertyDescription("How many of the profile's nodes last booted digest, the version new boots get.")
    public Integer nodesOnDigest;

    @JsonPropertyDescription("The rolling reboot onto digest, when spec.rollout asks for one.")
    public RolloutStatus rollout;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class DigestCount {
        @JsonPropertyDescription("An image version.")
        public String digest;
        @JsonPropertyDescription("How many of the profile's nodes last booted it.")
        public Integer nodes;

        public DigestCount() {}

        public DigestCount(String digest, int nodes) {
            this.digest = digest;
            this.nodes = nodes;
        }
    }
}

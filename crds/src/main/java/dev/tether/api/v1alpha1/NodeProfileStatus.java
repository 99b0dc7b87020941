package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;

/** What the profile's nodes boot now, and from where. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NodeProfileStatus {
    public static final String READY = "Ready";

    public Long observedGeneration;
    public List<Condition> conditions = new ArrayList<>();

    /** The image digest that new boots of this profile get. */
    public String digest;
    public String shortDigest;

    public Integer desiredEdges;
    public Integer readyEdges;
    /** Base URLs of the ready edges, as nodes reach them. */
    public List<String> edgeUrls = new ArrayList<>();

    /** How many of the profile's nodes last booted each digest. */
    public List<DigestCount> nodesByDigest = new ArrayList<>();
    /** How many of the profile's nodes last booted {@link #digest}, the version new boots get. */
    public Integer nodesOnDigest;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class DigestCount {
        public String digest;
        public Integer nodes;

        public DigestCount() {}

        public DigestCount(String digest, int nodes) {
            this.digest = digest;
            this.nodes = nodes;
        }
    }
}

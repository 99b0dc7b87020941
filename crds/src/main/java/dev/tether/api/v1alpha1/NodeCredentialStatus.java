package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The node's key state, its last boot and its host certificates. The key itself is never here. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NodeCredentialStatus {
    public static final String READY = "Ready";
    public static final String KEY_ISSUED = "KeyIssued";

    public Long observedGeneration;
    public List<Condition> conditions = new ArrayList<>();

    /** Whether a key may be fetched over the network now. */
    public Boolean armed;
    /** The value of the rearm annotation that was last honoured. */
    public String rearmedBy;
    /** The arming mode the {@link #armed} state was computed for: a new mode starts afresh. */
    public NodeCredentialSpec.Arming observedArming;
    /** The {@code spec.armedUntil} the {@link #armed} state was computed for: a new window starts afresh. */
    public String observedArmedUntil;

    /**
     * The endorsement key ({@code sha256:<hex>}) of the TPM the first network key went to, when {@code spec.endorsementKey}
     * names none: later keys are issued only to that TPM (trust on first use). {@code spec.endorsementKey} overrides it.
     */
    public String enrolledEndorsementKey;

    public ApiKey apiKey;
    public LastBoot lastBoot;
    public List<HostCertificate> hostCertificates = new ArrayList<>();

    public enum KeySource {
        @JsonProperty("network") NETWORK,
        @JsonProperty("tpm") TPM
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ApiKey {
        /** The Secret holding the salted hash of the key. */
        public String secretName;
        public String issuedAt;
        /** How the node got the key it used last: fetched over the network, or unsealed from its TPM. */
        public KeySource issuedVia;
        /** How many keys have been issued for this credential. */
        public Integer issueCount;
        /**
         * A {@code once} key sent encrypted to the node's TPM, not used yet: the arming is spent when the node first uses
         * it, so a request that replays the TPM's public key (and gets a key it cannot open) does not spend it.
         */
        public Boolean awaitingFirstUse;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class LastBoot {
        public String bootedAt;
        public String digest;
        public String shortDigest;
        public KeySource keySource;
        /** Wall time of each boot phase in milliseconds, in the order they ran. */
        public Map<String, Long> phaseMillis = new LinkedHashMap<>();
        /** How the agent read the root image from the edges, as far as it knew at the report; absent if it did not say. */
        public Fetch fetch;
        /** What the agent that serves a tethered root costs this node's memory; absent when no agent stays. */
        public AgentMemory agentMemory;
    }

    /**
     * The tethered agent's cost to the node's memory at the boot report, and the bounds it runs under (the
     * launcher's JVM options; a profile changes them with {@code tether.jvm=} in its kernel arguments).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class AgentMemory {
        /** Anonymous memory plus the files kept in RAM: what the node cannot use while the agent runs. */
        public Long totalBytes;
        /** Resident anonymous memory: heap, chunk cache, metaspace, compiled code, stacks. */
        public Long anonymousBytes;
        /** The agent's runtime and jar, which stay in RAM after the switch to the real root. */
        public Long fileBytes;
        /** The bound of the decrypted chunk cache. */
        public Long chunkCacheBytes;
        /** The Java heap's bound. */
        public Long heapMaxBytes;
        /** The bound of direct memory, where the chunk cache and the chunks in flight live. */
        public Long directMaxBytes;
    }

    /**
     * The agent's root image fetch counts: for a tethered root up to the report, for an untethered root the
     * whole download. Failures and hedges point at an edge that is down, slow or holds a damaged copy.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Fetch {
        /** Range requests sent to edges, hedges included. */
        public Long requests;
        /** Second requests sent because the first edge was slow to answer. */
        public Long hedges;
        /** Requests that failed: refused, stalled or answered wrongly. */
        public Long edgeFailures;
        /** Answers whose bytes failed verification: a damaged copy on an edge or on the way. */
        public Long integrityFailures;
        /** Bytes of verified answers. */
        public Long bytes;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class HostCertificate {
        public Long serial;
        public String keyType;
        public List<String> principals = new ArrayList<>();
        public String validAfter;
        public String validBefore;
    }
}

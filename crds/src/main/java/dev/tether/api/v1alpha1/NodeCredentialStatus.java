package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The node's key state, its last boot and its host certificates. The key itself is never here. */
@JsonClassDescription("The node's key state, its last boot and its host certificates. The key itself is never here.")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NodeCredentialStatus {
    public static final String READY = "Ready";
    public static final String KEY_ISSUED = "KeyIssued";
    /** Whether the operator could read the node's power from its BMC at the last try (present only with spec.bmc). */
    public static final String BMC_REACHABLE = "BmcReachable";

    @JsonPropertyDescription("The metadata.generation the status was computed for.")
    public Long observedGeneration;
    @JsonPropertyDescription("Ready, Reconciling (a power action under way), Stalled (the profile is missing, the BMC Secret is not "
            + "usable), KeyIssued and BmcReachable.")
    public List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("Whether a key may be fetched over the network now.")
    public Boolean armed;
    @JsonPropertyDescription("The value of the rearm annotation that was last honoured.")
    public String rearmedBy;
    @JsonPropertyDescription("The arming mode the armed state was computed for: a new mode starts afresh.")
    public NodeCredentialSpec.Arming observedArming;
    @JsonPropertyDescription("The spec.armedUntil the armed state was computed for: a new window starts afresh.")
    public String observedArmedUntil;

    @JsonPropertyDescription("The endorsement key (sha256:<hex>) of the TPM the first network key went to, when spec.endorsementKey "
            + "names none: later keys are issued only to that TPM (trust on first use). spec.endorsementKey overrides "
            + "it.")
    public String enrolledEndorsementKey;

    @JsonPropertyDescription("The state of the node's API key (never the key).")
    public ApiKey apiKey;
    @JsonPropertyDescription("What the node reported about its last boot.")
    public LastBoot lastBoot;
    @JsonPropertyDescription("SSH host certificates issued to the node, newest first.")
    public List<HostCertificate> hostCertificates = new ArrayList<>();

    @JsonPropertyDescription("The node's power as its BMC reports it, and the power actions carried out; absent without spec.bmc.")
    public Power power;

    public enum KeySource {
        @JsonProperty("network") NETWORK,
        @JsonProperty("tpm") TPM
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ApiKey {
        @JsonPropertyDescription("The Secret holding the salted hash of the key.")
        public String secretName;
        @JsonPropertyDescription("When the key in use was issued.")
        public String issuedAt;
        @JsonPropertyDescription("How the node got the key it used last: fetched over the network, or unsealed from its TPM.")
        public KeySource issuedVia;
        @JsonPropertyDescription("How many keys have been issued for this credential.")
        public Integer issueCount;
        @JsonPropertyDescription("A once key sent encrypted to the node's TPM, not used yet: the arming is spent when the node first "
                + "uses it, so a request that replays the TPM's public key (and gets a key it cannot open) does not "
                + "spend it.")
        public Boolean awaitingFirstUse;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class LastBoot {
        @JsonPropertyDescription("When the node reported the boot.")
        public String bootedAt;
        @JsonPropertyDescription("The image version the node booted.")
        public String digest;
        @JsonPropertyDescription("The first 12 hex digits of digest.")
        public String shortDigest;
        @JsonPropertyDescription("Where the node's key came from at that boot: network or tpm.")
        public KeySource keySource;
        @JsonPropertyDescription("Wall time of each boot phase in milliseconds, in the order they ran.")
        public Map<String, Long> phaseMillis = new LinkedHashMap<>();
        @JsonPropertyDescription("How the agent read the root image from the edges, as far as it knew at the report; absent if it did "
                + "not say.")
        public Fetch fetch;
        @JsonPropertyDescription("What the agent that serves a tethered root costs this node's memory; absent when no agent stays.")
        public AgentMemory agentMemory;
    }

    /**
     * The tethered agent's cost to the node's memory at the boot report, and the bounds it runs under (the
     * launcher's JVM options; a profile changes them with {@code tether.jvm=} in its kernel arguments).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class AgentMemory {
        @JsonPropertyDescription("Anonymous memory plus the files kept in RAM: what the node cannot use while the agent runs.")
        public Long totalBytes;
        @JsonPropertyDescription("Resident anonymous memory: heap, chunk cache, metaspace, compiled code, stacks.")
        public Long anonymousBytes;
        @JsonPropertyDescription("The agent's runtime and jar, which stay in RAM after the switch to the real root.")
        public Long fileBytes;
        @JsonPropertyDescription("The bound of the decrypted chunk cache.")
        public Long chunkCacheBytes;
        @JsonPropertyDescription("The Java heap's bound.")
        public Long heapMaxBytes;
        @JsonPropertyDescription("The bound of direct memory, where the chunk cache and the chunks in flight live.")
        public Long directMaxBytes;
    }

    /**
     * The agent's root image fetch counts: for a tethered root up to the report, for an untethered root the
     * whole download. Failures and hedges point at an edge that is down, slow or holds a damaged copy.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Fetch {
        @JsonPropertyDescription("Range requests sent to edges, hedges included.")
        public Long requests;
        @JsonPropertyDescription("Second requests sent because the first edge was slow to answer.")
        public Long hedges;
        @JsonPropertyDescription("Requests that failed: refused, stalled or answered wrongly.")
        public Long edgeFailures;
        @JsonPropertyDescription("Answers whose bytes failed verification: a damaged copy on an edge or on the way.")
        public Long integrityFailures;
        @JsonPropertyDescription("Bytes fetched in all: every answer that arrived whole, hedge losers and damaged ones too.")
        public Long bytes;
        @JsonPropertyDescription("Of those, the bytes the boot needed: the header and each chunk the first time it was"
                + " read (tethered).")
        public Long usefulBytes;
        @JsonPropertyDescription("Bytes fetched that the boot did not need (yet): hedge losers, damaged answers,"
                + " read-ahead not read, chunks fetched again, and the rest of each chunk a small read needed a part of.")
        public Long wastedBytes;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class HostCertificate {
        @JsonPropertyDescription("Serial number of the certificate.")
        public Long serial;
        @JsonPropertyDescription("The host key type certified.")
        public String keyType;
        @JsonPropertyDescription("Names and addresses the certificate is valid for.")
        public List<String> principals = new ArrayList<>();
        @JsonPropertyDescription("Start of validity.")
        public String validAfter;
        @JsonPropertyDescription("End of validity.")
        public String validBefore;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Power {
        @JsonPropertyDescription("On, Off or Unknown (the BMC did not answer or could not say).")
        public PowerState state;
        @JsonPropertyDescription("When the operator saw the power state become what it is (the BMC is read every minute or so; "
                + "this changes only with the state).")
        public String changedAt;
        @JsonPropertyDescription("The spec.power.rebootRequest last carried out (or found moot): a new value asks for another reboot.")
        public String rebootRequest;
        @JsonPropertyDescription("The rolling reboot (the image digest) of the node's profile last carried out on this node.")
        public String rolloutReboot;
        @JsonPropertyDescription("The last power action the operator asked the BMC for.")
        public PowerActionRecord lastAction;
    }

    public enum PowerState {
        @JsonProperty("On") ON,
        @JsonProperty("Off") OFF,
        @JsonProperty("Unknown") UNKNOWN
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class PowerActionRecord {
        @JsonPropertyDescription("on, off or reboot.")
        public String action;
        @JsonPropertyDescription("Why: state (spec.power.state), rebootRequest:<token> or rollout:<digest>.")
        public String cause;
        @JsonPropertyDescription("When the BMC answered.")
        public String completedAt;
        @JsonPropertyDescription("Succeeded or Failed.")
        public String outcome;
        @JsonPropertyDescription("What the BMC said, for people (never a credential).")
        public String message;
    }
}

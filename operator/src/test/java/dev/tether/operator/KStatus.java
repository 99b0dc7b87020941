package dev.tether.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * The status rules GitOps tools apply to a custom resource, written down so tests can hold the operator to them.
 *
 * <p>{@link #compute} is kstatus ({@code sigs.k8s.io/cli-utils/pkg/kstatus/status}, {@code checkGenericProperties} and
 * {@code checkGeneration}; a kind it has no built-in rules for ends there): a deletion timestamp means Terminating; a
 * {@code status.observedGeneration} other than {@code metadata.generation} means InProgress; then, in list order, the
 * first {@code Reconciling=True} means InProgress and the first {@code Stalled=True} means Failed; otherwise Current.
 * {@link #summarize} adds what Flux and {@code kubectl wait --for=condition=Ready} also ask of a resource that has a
 * {@code Ready} condition: Current only when it is {@code True} (a Ready=False with neither of the others would be
 * called Current by kstatus alone, and that is the operator's mistake, which the tests must catch).
 */
public final class KStatus {
    public enum Status { CURRENT, IN_PROGRESS, FAILED, TERMINATING, NOT_READY_WITHOUT_REASON }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private KStatus() {}

    public static Status compute(HasMetadata resource) {
        return compute(readTree(SERIALIZATION.asJson(resource)));
    }

    static Status compute(JsonNode object) {
        JsonNode metadata = object.path("metadata");
        if (!metadata.path("deletionTimestamp").asText("").isEmpty()) {
            return Status.TERMINATING;
        }
        JsonNode generation = metadata.path("generation");
        JsonNode observed = object.path("status").path("observedGeneration");
        if (generation.isNumber() && observed.isNumber() && generation.asLong() != observed.asLong()) {
            return Status.IN_PROGRESS;
        }
        for (JsonNode condition : object.path("status").path("conditions")) {
            boolean isTrue = "True".equals(condition.path("status").asText());
            if (isTrue && "Reconciling".equals(condition.path("type").asText())) {
                return Status.IN_PROGRESS;
            }
            if (isTrue && "Stalled".equals(condition.path("type").asText())) {
                return Status.FAILED;
            }
        }
        return Status.CURRENT;
    }

    /** kstatus, and a Current resource must also be Ready=True with every condition at the resource's generation. */
    public static Status summarize(HasMetadata resource) {
        JsonNode object = readTree(SERIALIZATION.asJson(resource));
        Status status = compute(object);
        if (status != Status.CURRENT) {
            return status;
        }
        long generation = object.path("metadata").path("generation").asLong();
        for (JsonNode condition : object.path("status").path("conditions")) {
            if (condition.path("observedGeneration").asLong(-1) != generation) {
                throw new AssertionError("condition " + condition.path("type").asText() + " was computed for generation "
                        + condition.path("observedGeneration") + ", the resource is at " + generation);
            }
            if ("Ready".equals(condition.path("type").asText())) {
                return "True".equals(condition.path("status").asText()) ? Status.CURRENT : Status.NOT_READY_WITHOUT_REASON;
            }
        }
        return Status.NOT_READY_WITHOUT_REASON;
    }

    private static JsonNode readTree(String json) {
        try {
            return JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** A condition in the standard Kubernetes shape (metav1.Condition). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Condition {
    public static final String TRUE = "True";
    public static final String FALSE = "False";
    public static final String UNKNOWN = "Unknown";

    /** Every kind's summary (kstatus): the spec is fully realised and working. */
    public static final String READY = "Ready";
    /** True while the operator works towards the spec (kstatus: the resource is in progress). */
    public static final String RECONCILING = "Reconciling";
    /** True while the spec cannot be realised without a change by someone (kstatus: the resource failed). */
    public static final String STALLED = "Stalled";

    @JsonPropertyDescription("The kind of condition: Ready (the spec is realised), Reconciling (the operator is working on it), "
            + "Stalled (someone must change something), or a kind-specific one (Built, Published, KeyIssued).")
    @Required
    @Pattern("^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$")
    public String type;

    @JsonPropertyDescription("True, False or Unknown.")
    @Required
    @Pattern("^(True|False|Unknown)$")
    public String status;

    @JsonPropertyDescription("One CamelCase word for programs and alerts.")
    @Required
    @Pattern("^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")
    public String reason;

    @JsonPropertyDescription("What happened, for people, and what to do next where something must be done.")
    public String message;

    @JsonPropertyDescription("When status last changed.")
    @Required
    public String lastTransitionTime;

    @JsonPropertyDescription("The metadata.generation this condition was computed for.")
    public Long observedGeneration;

    public Condition() {}

    public Condition(String type, boolean status, String reason, String message, Long observedGeneration) {
        this.type = type;
        this.status = status ? TRUE : FALSE;
        this.reason = reason;
        this.message = message;
        this.observedGeneration = observedGeneration;
        this.lastTransitionTime = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    @JsonIgnore
    public boolean isTrue() {
        return TRUE.equals(status);
    }

    /**
     * Returns {@code conditions} with {@code next} in place of the condition of the same type. The
     * transition time is kept when the status did not change, as Kubernetes conventions ask.
     */
    public static List<Condition> upsert(List<Condition> conditions, Condition next) {
        var result = new ArrayList<Condition>();
        boolean replaced = false;
        for (Condition existing : conditions == null ? List.<Condition>of() : conditions) {
            if (Objects.equals(existing.type, next.type)) {
                if (Objects.equals(existing.status, next.status)) {
                    next.lastTransitionTime = existing.lastTransitionTime;
                }
                result.add(next);
                replaced = true;
            } else {
                result.add(existing);
            }
        }
        if (!replaced) {
            result.add(next);
        }
        return result;
    }

    public static Condition find(List<Condition> conditions, String type) {
        if (conditions == null) {
            return null;
        }
        return conditions.stream().filter(c -> Objects.equals(c.type, type)).findFirst().orElse(null);
    }
}

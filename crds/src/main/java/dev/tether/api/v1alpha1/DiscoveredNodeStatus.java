package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.ArrayList;
import java.util.List;

/** Where enrolment stands, and what later registrations showed. */
@JsonClassDescription("Where enrolment stands, and what later registrations of the same MAC showed.")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DiscoveredNodeStatus {
    @JsonPropertyDescription("The metadata.generation the status was computed for.")
    public Long observedGeneration;
    @JsonPropertyDescription("Ready (enrolled), Reconciling (waiting for acceptance) and Stalled (cannot be enrolled as it is).")
    public List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("When the machine last registered (it does so while it waits), to the minute.")
    public String lastSeenAt;
    @JsonPropertyDescription("How many registrations under this machine's boot MAC reported other hardware than spec.hardware: a "
            + "sign that someone registers in its name. Such a machine is not enrolled until an administrator deletes this "
            + "object and it registers again.")
    public Integer conflictingRegistrations;
    @JsonPropertyDescription("The NodeCredential made at enrolment.")
    public String enrolledAs;
}

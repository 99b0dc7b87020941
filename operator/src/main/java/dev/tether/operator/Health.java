package dev.tether.operator;

import dev.tether.api.v1alpha1.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Where a resource stands, as GitOps tools read it (kstatus, which Flux, {@code kubectl wait} and Argo CD's
 * checks follow): {@link Current} sets {@code Ready=True}; {@link InProgress} sets {@code Reconciling=True},
 * {@link Stalled} sets {@code Stalled=True}, both with {@code Ready=False}. A condition that does not apply is
 * removed (the "abnormal-true" types are present only while true), so a list never says two things at once.
 * Every condition written carries the generation it was computed for.
 */
public sealed interface Health {
    String reason();

    String message();

    /** The spec is realised: nothing in flight, nothing stuck. */
    record Current(String reason, String message) implements Health {}

    /** The operator is working towards the spec (a build running, edges starting) and needs nobody's help. */
    record InProgress(String reason, String message) implements Health {}

    /** The spec cannot be realised until someone changes something (a failed build, a missing image). */
    record Stalled(String reason, String message) implements Health {}

    /** {@code conditions} with Ready, Reconciling and Stalled set to say {@code health}; other types are kept. */
    static List<Condition> apply(List<Condition> conditions, Health health, long generation) {
        var result = new ArrayList<Condition>();
        for (Condition c : conditions == null ? List.<Condition>of() : conditions) {
            boolean summary = Objects.equals(c.type, Condition.RECONCILING) || Objects.equals(c.type, Condition.STALLED);
            if (!summary) {
                result.add(c);
            }
        }
        var updated = Condition.upsert(result, new Condition(Condition.READY, health instanceof Current,
                health.reason(), health.message(), generation));
        switch (health) {
            case InProgress p -> updated = Condition.upsert(updated, new Condition(Condition.RECONCILING, true, p.reason(), p.message(), generation));
            case Stalled s -> updated = Condition.upsert(updated, new Condition(Condition.STALLED, true, s.reason(), s.message(), generation));
            case Current c -> { }
        }
        return keepTransitionTimes(conditions, updated);
    }

    /** A Reconciling or Stalled condition that stays true keeps the time it became true. */
    private static List<Condition> keepTransitionTimes(List<Condition> before, List<Condition> after) {
        for (Condition c : after) {
            Condition old = Condition.find(before, c.type);
            if (old != null && Objects.equals(old.status, c.status) && old.lastTransitionTime != null) {
                c.lastTransitionTime = old.lastTransitionTime;
            }
        }
        return after;
    }
}

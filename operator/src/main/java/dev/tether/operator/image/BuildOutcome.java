package dev.tether.operator.image;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/** Where a builder Job stands, read from the Job's conditions and its pod's termination message. */
public sealed interface BuildOutcome {
    /**
     * How long a Job that has ended waits for its pod to be seen: the two are watched apart, and the Job's end can arrive
     * first. The pod's arrival ends the wait; a pod that never comes (deleted by hand) is judged without its message.
     */
    Duration POD_GRACE = Duration.ofMinutes(1);

    record Running() implements BuildOutcome {}

    /** The Job has ended and its pod, which says how, is not seen yet: look again within {@code lookAgainIn}. */
    record AwaitingPod(Duration lookAgainIn) implements BuildOutcome {}

    record Succeeded(BuildResult result) implements BuildOutcome {}

    record Failed(String reason) implements BuildOutcome {}

    int MAX_FAILURE_CHARS = 2000;

    static BuildOutcome of(Job job, Collection<Pod> pods, Instant now) {
        var status = job.getStatus();
        var ended = condition(job, "Complete").or(() -> condition(job, "Failed")).map(JobCondition::getLastTransitionTime);
        if (ended.isPresent() && builders(pods).noneMatch(c -> c.getState() != null && c.getState().getTerminated() != null)) {
            Duration left = Duration.between(now, Instant.parse(ended.get()).plus(POD_GRACE));
            if (left.isPositive()) {
                return new AwaitingPod(left);
            }
        }
        Optional<String> message = terminationMessage(pods);
        if (hasCondition(job, "Complete")) {
            var result = message.flatMap(BuildResult::parse);
            if (result.isEmpty()) {
                return new Failed("the builder finished but reported no result");
            }
            return result.get().problem().<BuildOutcome>map(Failed::new).orElseGet(() -> new Succeeded(result.get()));
        }
        if (hasCondition(job, "Failed") || (status != null && status.getFailed() != null && status.getFailed() > 0)) {
            String why = condition(job, "Failed").map(c -> c.getReason() + ": " + c.getMessage()).orElse("the builder failed");
            String detail = message.map(m -> BuildResult.parse(m)
                            .map(r -> r.error() != null ? r.error() : m)
                            .orElse(m))
                    .orElse("no output from the builder");
            return new Failed(trim(why + "\n" + detail));
        }
        return new Running();
    }

    private static boolean hasCondition(Job job, String type) {
        return condition(job, type).isPresent();
    }

    private static Optional<JobCondition> condition(Job job, String type) {
        if (job.getStatus() == null || job.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        return job.getStatus().getConditions().stream()
                .filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus()))
                .findFirst();
    }

    /** The builder container's termination message from the newest pod of the Job. */
    private static Optional<String> terminationMessage(Collection<Pod> pods) {
        return builders(pods)
                .map(c -> c.getState() == null ? null : c.getState().getTerminated())
                .filter(Objects::nonNull)
                .map(ContainerStateTerminated::getMessage)
                .filter(Objects::nonNull)
                .findFirst();
    }

    /** The builder containers of the Job's pods, newest pod first. */
    private static Stream<ContainerStatus> builders(Collection<Pod> pods) {
        return pods.stream()
                .sorted(Comparator.comparing((Pod p) -> Objects.toString(p.getMetadata().getCreationTimestamp(), "")).reversed())
                .flatMap(p -> p.getStatus() == null || p.getStatus().getContainerStatuses() == null
                        ? Stream.empty()
                        : p.getStatus().getContainerStatuses().stream())
                .filter(c -> BuildJob.CONTAINER.equals(c.getName()));
    }

    private static String trim(String text) {
        String stripped = text.strip();
        // The last lines say most about a failure; keep those.
        return stripped.length() <= MAX_FAILURE_CHARS ? stripped : "..." + stripped.substring(stripped.length() - MAX_FAILURE_CHARS);
    }
}

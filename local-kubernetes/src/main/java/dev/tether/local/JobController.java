package dev.tether.local;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Plays what {@link InMemoryKubernetes} does not run for a Job: its one pod ending with a termination message,
 * and the Job controller marking the Job Complete or Failed. Whoever made the Job (the operator's image
 * reconciler) then goes on exactly as it would in a cluster.
 */
public final class JobController {
    private final KubernetesClient client;
    private final Duration patience;

    /** @param patience how long to wait for the Job to exist before it can be finished */
    public JobController(KubernetesClient client, Duration patience) {
        this.client = client;
        this.patience = patience;
    }

    /** The Job's pod exits 0 with {@code terminationMessage}, and the Job is Complete. */
    public void succeed(String namespace, String jobName, String terminationMessage) {
        finish(namespace, jobName, "Complete", "Completed", "", terminationMessage, 0);
    }

    /** The Job's pod exits 1 with {@code output}, and the Job has Failed after its retries. */
    public void fail(String namespace, String jobName, String output) {
        finish(namespace, jobName, "Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit", output, 1);
    }

    private void finish(String namespace, String jobName, String condition, String reason, String message,
                        String terminationMessage, int exitCode) {
        var jobs = client.batch().v1().jobs().inNamespace(namespace);
        Job job = jobs.withName(jobName).waitUntilCondition(Objects::nonNull, patience.toMillis(), TimeUnit.MILLISECONDS);
        String container = job.getSpec().getTemplate().getSpec().getContainers().get(0).getName();
        // Like the Job controller: the pod carries the template's labels and the Job's name.
        client.pods().inNamespace(namespace).resource(new PodBuilder()
                .withNewMetadata().withName(jobName + "-x1").withNamespace(namespace)
                .addToLabels(job.getSpec().getTemplate().getMetadata().getLabels())
                .addToLabels("job-name", jobName).endMetadata()
                .withNewSpec().addNewContainer().withName(container).withImage(container).endContainer().endSpec()
                .withNewStatus().withPhase(exitCode == 0 ? "Succeeded" : "Failed")
                .withContainerStatuses(new ContainerStatusBuilder().withName(container)
                        .withNewState().withNewTerminated().withExitCode(exitCode).withMessage(terminationMessage).endTerminated().endState()
                        .build())
                .endStatus()
                .build()).create();
        jobs.withName(jobName).editStatus(j -> {
            j.setStatus(new JobStatus());
            j.getStatus().setConditions(List.of(new JobConditionBuilder()
                    .withType(condition).withStatus("True").withReason(reason).withMessage(message)
                    .withLastTransitionTime(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()).build()));
            if (exitCode == 0) {
                j.getStatus().setSucceeded(1);
            } else {
                j.getStatus().setFailed(1);
            }
            return j;
        });
    }
}

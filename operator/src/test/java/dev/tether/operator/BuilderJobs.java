package dev.tether.operator;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatus;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Plays what the mock API server does not run: a builder pod ending with its termination message,
 * and the Job controller marking the Job Complete or Failed. The image reconciler then publishes
 * or fails the build exactly as it would in a cluster.
 */
public final class BuilderJobs {
    private BuilderJobs() {}

    /** A builder result line for a build whose artifacts are all derived from {@code digest}'s letter. */
    public static String result(String digest, String kernelVersion, long rootImageBytes) {
        return result(digest, "sha256:" + "c".repeat(64), "sha256:" + "e".repeat(64), "sha256:" + "d".repeat(64), kernelVersion, rootImageBytes);
    }

    public static String result(String digest, String kernel, String initramfs, String rootImage, String kernelVersion, long rootImageBytes) {
        return "{\"digest\":\"" + digest + "\",\"kernelVersion\":\"" + kernelVersion + "\",\"rootImageBytes\":" + rootImageBytes
                + ",\"squashfsBytes\":" + Math.max(0, rootImageBytes - 4096) + ",\"kernelDigest\":\"" + kernel
                + "\",\"initramfsDigest\":\"" + initramfs + "\",\"rootImageDigest\":\"" + rootImage
                + "\",\"encrypted\":true,\"keyId\":\"k1\",\"buildSeconds\":312}";
    }

    public static void succeed(OperatorHarness harness, String jobName, String resultLine) {
        succeed(harness, OperatorHarness.NAMESPACE, jobName, resultLine);
    }

    /** The builder Job {@code jobName} in namespace {@code ns} ends well, reporting {@code resultLine}. */
    public static void succeed(OperatorHarness harness, String ns, String jobName, String resultLine) {
        finish(harness, ns, jobName, "Complete", "Completed", "", resultLine, 0);
    }

    public static void fail(OperatorHarness harness, String jobName, String output) {
        finish(harness, OperatorHarness.NAMESPACE, jobName, "Failed", "BackoffLimitExceeded",
                "Job has reached the specified backoff limit", output, 1);
    }

    private static void finish(OperatorHarness harness, String ns, String jobName, String condition, String reason,
                               String message, String terminationMessage, int exitCode) {
        var jobs = harness.client.batch().v1().jobs().inNamespace(ns);
        // Like the Job controller: the pod carries the template's labels and the Job's name.
        harness.client.pods().inNamespace(ns).resource(new PodBuilder()
                .withNewMetadata().withName(jobName + "-x1").withNamespace(ns)
                .addToLabels(OperatorHarness.eventually(() -> jobs.withName(jobName).get()).getSpec().getTemplate().getMetadata().getLabels())
                .addToLabels("job-name", jobName).endMetadata()
                .withNewSpec().addNewContainer().withName("builder").withImage("builder").endContainer().endSpec()
                .withNewStatus().withPhase(exitCode == 0 ? "Succeeded" : "Failed")
                .withContainerStatuses(new ContainerStatusBuilder().withName("builder")
                        .withNewState().withNewTerminated().withExitCode(exitCode).withMessage(terminationMessage).endTerminated().endState()
                        .build())
                .endStatus()
                .build()).create();
        jobs.withName(jobName).editStatus(job -> {
            job.setStatus(new JobStatus());
            job.getStatus().setConditions(List.of(new JobConditionBuilder()
                    .withType(condition).withStatus("True").withReason(reason).withMessage(message)
                    .withLastTransitionTime(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()).build()));
            if (exitCode == 0) {
                job.getStatus().setSucceeded(1);
            } else {
                job.getStatus().setFailed(1);
            }
            return job;
        });
    }
}

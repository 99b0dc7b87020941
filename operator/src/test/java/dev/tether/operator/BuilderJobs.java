package dev.tether.operator;

import dev.tether.local.JobController;
import java.time.Duration;

/**
 * Builder results as a builder reports them, and the builder Job ending with one ({@link JobController}): the
 * image reconciler then publishes or fails the build exactly as it would in a cluster.
 */
public final class BuilderJobs {
    /** How long a test waits for the reconciler to make the Job it finishes. */
    private static final Duration PATIENCE = Duration.ofSeconds(60);

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
        new JobController(harness.client, PATIENCE).succeed(ns, jobName, resultLine);
    }

    public static void fail(OperatorHarness harness, String jobName, String output) {
        new JobController(harness.client, PATIENCE).fail(OperatorHarness.NAMESPACE, jobName, output);
    }
}

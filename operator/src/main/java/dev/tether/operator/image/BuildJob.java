package dev.tether.operator.image;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageSpec;
import dev.tether.api.v1alpha1.DisklessImageStatus.Build;
import dev.tether.operator.Names;
import dev.tether.operator.OperatorConfig;
import dev.tether.units.GoDuration;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The builder Job of one spec generation: {@code imgutil run-spec} builds, customises, packs,
 * encrypts and publishes the image, then reports its result as the pod's termination message.
 *
 * <p>A create-only dependent: made while its build runs and never changed (a Job's template cannot be), and kept when
 * the build ends, for its log, until Kubernetes removes it ({@link #FINISHED_JOB_TTL_SECONDS}).
 */
public final class BuildJob extends BuildDependent<Job> implements Creator<Job, DisklessImage> {
    /** How long a finished builder Job stays for its log to be read (ttlSecondsAfterFinished). */
    static final int FINISHED_JOB_TTL_SECONDS = 24 * 3600;

    public static final String CONTAINER = "builder";
    /** The component label of the builder Job, its pod and its spec ConfigMap. */
    static final String COMPONENT = "builder";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SPEC_DIR = "/etc/tether/spec";
    private static final String KEY_DIR = "/etc/tether/key";
    private static final String GRANT_DIR = "/etc/tether/upload-grant";
    /** Where the pull Secret of an OCI source is mounted; imgutil finds .dockerconfigjson or .dockercfg in it. */
    public static final String PULL_SECRET_DIR = "/etc/tether/pull-secret";
    /** The Secret types that hold registry credentials, the only ones mounted as a pull Secret. */
    static final List<String> PULL_SECRET_TYPES = List.of("kubernetes.io/dockerconfigjson",
            "kubernetes.io/dockercfg");
    /** Where the builder image keeps the boot agent that goes into every image's initramfs. */
    static final String AGENT_BUNDLE = "/opt/tether/agent";
    private static final Duration UPLOAD_GRANT_SLACK = Duration.ofMinutes(5);
    /** No build takes a day; a grant that lived longer would be a standing upload credential. */
    static final Duration MAX_UPLOAD_GRANT = Duration.ofHours(24);

    private final OperatorConfig config;

    BuildJob(OperatorConfig config) {
        super(Job.class, COMPONENT);
        this.config = config;
    }

    @Override
    String name(DisklessImage image, Build build) {
        return Boolean.TRUE.equals(build.repack) ? Names.repackJob(image.getMetadata().getName(), generation(build))
                : Names.buildJob(image.getMetadata().getName(), generation(build));
    }

    @Override
    protected Job desired(DisklessImage image, Context<DisklessImage> context) {
        Build build = build(image);
        Job job = desired(image, generation(build), build.keySecret, config);
        return Boolean.TRUE.equals(build.repack) ? BootOrderRepack.asRepack(job, image, generation(build)) : job;
    }

    public static ConfigMap specConfigMap(DisklessImage image, long generation) {
        var metadata = image.getMetadata();
        try {
            return new ConfigMapBuilder()
                    .withNewMetadata()
                    .withName(specConfigMapName(metadata.getName(), generation))
                    .withNamespace(metadata.getNamespace())
                    .addToLabels(labels(image, generation))
                    .endMetadata()
                    .withData(Map.of("spec.json", JSON.writeValueAsString(image.getSpec())))
                    .build();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the image spec as JSON", e);
        }
    }

    static String specConfigMapName(String image, long generation) {
        return Names.buildJob(image, generation) + "-spec";
    }

    public static Job desired(DisklessImage image, long generation, String keySecret, OperatorConfig config) {
        var metadata = image.getMetadata();
        var spec = image.getSpec();
        String jobName = Names.buildJob(metadata.getName(), generation);
        var builder = spec.builder == null ? new DisklessImageSpec.Builder() : spec.builder;

        var command = new ArrayList<>(List.of(
                "imgutil", "run-spec", SPEC_DIR + "/spec.json",
                "--agent-bundle", AGENT_BUNDLE,
                "--work", "/work/root",
                "--out", "/work/out",
                "--result-file", "/dev/termination-log",
                "--origin", config.originUrl(),
                "--token-file", GRANT_DIR + "/" + OperatorConfig.ORIGIN_TOKEN_KEY));
        var volumes = new ArrayList<Volume>();
        var mounts = new ArrayList<VolumeMount>();
        volumes.add(new VolumeBuilder().withName("spec").withNewConfigMap().withName(jobName + "-spec").endConfigMap().build());
        mounts.add(mount("spec", SPEC_DIR));
        // The build's own upload grant (UploadToken), never the origin's token: it uploads, until the build's timeout.
        volumes.add(new VolumeBuilder().withName("upload-grant").withNewSecret()
                .withSecretName(Names.buildUploadSecret(metadata.getName(), generation)).withDefaultMode(0400).endSecret().build());
        mounts.add(mount("upload-grant", GRANT_DIR));
        volumes.add(new VolumeBuilder().withName("work").withNewEmptyDir().endEmptyDir().build());
        mounts.add(new VolumeMountBuilder().withName("work").withMountPath("/work").build());
        if (keySecret != null) {
            command.addAll(List.of("--key-file", KEY_DIR + "/" + ImageKeySecret.KEY));
            volumes.add(new VolumeBuilder().withName("key").withNewSecret()
                    .withSecretName(keySecret).withDefaultMode(0400).endSecret().build());
            mounts.add(mount("key", KEY_DIR));
        }
        // Boot order hook (BootOrderConfigMap): the files the image's first recorded boot read, placed first by pack.
        BootOrderConfigMap.addTo(image, command, volumes, mounts);
        String pullSecret = pullSecretOf(spec);
        if (pullSecret != null) {
            // Only the builder sees the registry credentials, read-only; they never enter the spec ConfigMap.
            command.addAll(List.of("--pull-secret", PULL_SECRET_DIR));
            volumes.add(new VolumeBuilder().withName("pull-secret").withNewSecret()
                    .withSecretName(pullSecret).withDefaultMode(0400).endSecret().build());
            mounts.add(mount("pull-secret", PULL_SECRET_DIR));
        }

        return new JobBuilder()
                .withNewMetadata()
                .withName(jobName)
                .withNamespace(metadata.getNamespace())
                .addToLabels(labels(image, generation))
                .endMetadata()
                .withNewSpec()
                // A build is long and its failure is reported, not retried blindly: a new spec retries.
                .withBackoffLimit(0)
                .withActiveDeadlineSeconds(parseDuration(builder.timeout).toSeconds())
                // Kubernetes removes the finished Job (and its pod and log) a day later: time enough to read the log
                // that status.buildLog names; the result is in status long before.
                .withTtlSecondsAfterFinished(FINISHED_JOB_TTL_SECONDS)
                .withNewTemplate()
                .withNewMetadata()
                .addToLabels(labels(image, generation))
                .endMetadata()
                .withNewSpec()
                .withRestartPolicy("Never")
                .withAutomountServiceAccountToken(false)
                .withNodeSelector(builder.nodeSelector)
                .withImagePullSecrets(config.imagePullSecrets().stream()
                        .map(name -> new LocalObjectReference(name)).toList())
                .addNewContainer()
                .withName(CONTAINER)
                .withImage(config.builderImage())
                .withImagePullPolicy(config.builderPullPolicy())
                .withCommand(command)
                // When imgutil dies before it can report, the log's last lines become the message.
                .withTerminationMessagePolicy("FallbackToLogsOnError")
                .withResources(builder.resources != null ? builder.resources : config.builderResources())
                .withNewSecurityContext()
                .withPrivileged(config.builderPrivileged())
                .endSecurityContext()
                .withVolumeMounts(mounts)
                .endContainer()
                .withVolumes(volumes)
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    /** The Secret with the registry credentials of an OCI source, or {@code null}. */
    public static String pullSecretOf(DisklessImageSpec spec) {
        return spec.source == null ? null : spec.source.pullSecret;
    }

    static Map<String, String> labels(DisklessImage image, long generation) {
        var labels = new HashMap<>(Names.managedLabels(COMPONENT));
        labels.put(Names.IMAGE_LABEL, image.getMetadata().getName());
        labels.put(Names.GENERATION_LABEL, Long.toString(generation));
        return labels;
    }

    private static VolumeMount mount(String name, String path) {
        return new VolumeMountBuilder().withName(name).withMountPath(path).withReadOnly(true).build();
    }

    /**
     * Until when a build started at {@code now} may upload: the Job's deadline (which Kubernetes enforces from the Job's
     * start, so it includes scheduling and pulling the builder image) and a few minutes for a slow start; but never
     * longer than {@link #MAX_UPLOAD_GRANT}, since the timeout is the image author's to choose.
     */
    static Instant uploadGrantExpiry(DisklessImage image, Instant now) {
        var builder = image.getSpec().builder == null ? new DisklessImageSpec.Builder() : image.getSpec().builder;
        Duration timeout = parseDuration(builder.timeout);
        return now.plus(timeout.compareTo(MAX_UPLOAD_GRANT) > 0 ? MAX_UPLOAD_GRANT : timeout).plus(UPLOAD_GRANT_SLACK);
    }

    /** The builder's timeout ({@code 2h}, {@code 90m}, {@code 1h30m}); two hours when absent or zero. */
    static Duration parseDuration(String text) {
        Duration timeout = text == null || text.isEmpty() ? Duration.ZERO : GoDuration.parse(text);
        return timeout.isZero() ? Duration.ofHours(2) : timeout;
    }
}

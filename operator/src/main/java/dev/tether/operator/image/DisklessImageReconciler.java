package dev.tether.operator.image;

import dev.tether.api.v1alpha1.Condition;
import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageSpec;
import dev.tether.api.v1alpha1.DisklessImageStatus;
import dev.tether.api.v1alpha1.DisklessImageStatus.Build;
import dev.tether.api.v1alpha1.DisklessImageStatus.BuildState;
import dev.tether.api.v1alpha1.DisklessImageStatus.ImageVersion;
import dev.tether.api.v1alpha1.DisklessImageStatus.Phase;
import dev.tether.contracts.BlobDigest;
import dev.tether.operator.EventRecorder;
import dev.tether.operator.EventRecorder.Type;
import dev.tether.operator.Health;
import dev.tether.operator.Names;
import dev.tether.operator.OperatorConfig;
import dev.tether.operator.StatusWrites;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceUtils;
import io.javaoperatorsdk.operator.api.reconciler.MaxReconciliationInterval;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Workflow;
import io.javaoperatorsdk.operator.processing.dependent.workflow.WorkflowBuilder;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a DisklessImage into published, immutable image versions: one builder Job per spec
 * generation, an encryption key per build, the result recorded in status, old versions removed once
 * no node needs them. The previous version stays served until a new one is published.
 *
 * <p>The finalizer is there for the origin: deleting an image must also delete its blobs there,
 * which owner references cannot do.
 */
@ControllerConfiguration(
        name = "disklessimage",
        maxReconciliationInterval = @MaxReconciliationInterval(interval = 10, timeUnit = TimeUnit.MINUTES))
public class DisklessImageReconciler implements Reconciler<DisklessImage>, Cleaner<DisklessImage> {
    private static final Logger LOG = LoggerFactory.getLogger(DisklessImageReconciler.class);

    private final VersionCollector collector;
    private final BuildMetrics buildMetrics;
    private final Clock clock;
    private final BuildJob buildJob;
    private final Workflow<DisklessImage> workflow;

    /**
     * @param metrics where finished builds are counted and timed ({@link BuildMetrics})
     * @param clock when builds start and end, and until when their upload grants last
     */
    public DisklessImageReconciler(OperatorConfig config, ImageUsage usage, OriginClient origin, MeterRegistry metrics, Clock clock) {
        this.collector = new VersionCollector(usage, origin);
        this.buildMetrics = new BuildMetrics(metrics);
        this.clock = clock;
        this.buildJob = new BuildJob(config);
        var grant = new UploadGrantSecret(config, clock);
        var spec = new BuildSpecConfigMap();
        // What status.build says runs, the workflow makes: the key (kept), the grant and spec (while it runs), the Job.
        this.workflow = new WorkflowBuilder<DisklessImage>()
                .addDependentResourceAndConfigure(new ImageKeySecret()).withReconcilePrecondition(ImageKeySecret.KEY_DUE)
                .addDependentResourceAndConfigure(grant).withReconcilePrecondition(BuildDependent.BUILD_RUNNING)
                .addDependentResourceAndConfigure(spec).withReconcilePrecondition(BuildDependent.BUILD_RUNNING)
                .addDependentResourceAndConfigure(buildJob).withReconcilePrecondition(BuildDependent.BUILD_RUNNING)
                .dependsOn(grant, spec)
                .build();
    }

    @Override
    public List<EventSource<?, DisklessImage>> prepareEventSources(EventSourceContext<DisklessImage> context) {
        // A builder pod's termination message is the build's result.
        var builderPods = InformerEventSourceConfiguration.from(Pod.class, DisklessImage.class)
                .withLabelSelector(Names.COMPONENT + "=" + BuildJob.COMPONENT)
                .withSecondaryToPrimaryMapper(pod -> {
                    String image = pod.getMetadata().getLabels().get(Names.IMAGE_LABEL);
                    return image == null ? Set.of() : Set.of(new ResourceID(image, pod.getMetadata().getNamespace()));
                })
                .build();
        // A boot order kept by the node API (an owned ConfigMap) wakes the image: it may be due a re-pack.
        var bootOrders = InformerEventSourceConfiguration.from(ConfigMap.class, DisklessImage.class)
                .withName(BootOrderConfigMap.COMPONENT)
                .withLabelSelector(Names.COMPONENT + "=" + BootOrderConfigMap.COMPONENT)
                .build();
        var sources = new ArrayList<EventSource<?, DisklessImage>>(EventSourceUtils.eventSourcesFromWorkflow(context, workflow));
        sources.add(new InformerEventSource<>(builderPods, context));
        sources.add(new InformerEventSource<>(bootOrders, context));
        return sources;
    }

    @Override
    public UpdateControl<DisklessImage> reconcile(DisklessImage image, Context<DisklessImage> context) {
        var client = context.getClient();
        var events = new EventRecorder(client);
        String before = StatusWrites.before(image, context);
        var status = image.getStatus() == null ? new DisklessImageStatus() : image.getStatus();
        image.setStatus(status);
        long generation = image.getMetadata().getGeneration();
        Build build = status.build;

        boolean started = false;
        PullSecretCheck pullSecret = null;
        Duration lookAgain = null;
        if (build == null || build.generation < generation) {
            if (build != null && build.state == BuildState.RUNNING) {
                client.batch().v1().jobs().inNamespace(namespace(image)).withName(build.jobName).delete();
                endUploadGrant(image, build, client);
                events.record(image, Type.Normal, "BuildSuperseded",
                        "The spec changed: stopped the build of generation " + build.generation + ".");
            }
            pullSecret = PullSecretCheck.of(image, client);
            if (pullSecret.refusal().isPresent()) {
                refuseBuild(image, generation, pullSecret.refusal().get(), events);
            } else {
                status.build = newBuild(image, generation, false);
                started = true;
            }
        } else if (build.state == BuildState.RUNNING) {
            lookAgain = observeBuild(image, build, context, events);
        }
        // A boot order that arrived after this generation was packed without one: pack it once more, with it.
        status.bootOrder = BootOrderConfigMap.describe(context.getSecondaryResource(ConfigMap.class, BootOrderConfigMap.COMPONENT).orElse(null));
        boolean repacking = !started && BootOrderRepack.due(image, status.bootOrder);
        if (repacking) {
            status.build = newBuild(image, generation, true);
        }
        try {
            workflow.reconcile(image, context);
        } catch (RuntimeException e) {
            // Nothing may say a build runs whose objects are not there: the next reconciliation starts it again.
            status.build = build;
            throw e;
        }
        if (repacking || started) {
            // status.buildLog promises the newest build's log: it follows the build from its start, since the log of
            // a running build is the one worth reading, not the previous build's.
            status.buildLog = buildLog(image, status.build.jobName);
        }
        if (repacking) {
            status.phase = Phase.BUILDING;
            setCondition(status, DisklessImageStatus.BUILT, false, "Repacking", "Re-packing generation " + generation
                    + " with the boot order from " + status.bootOrder.fromDigest + " in Job " + status.build.jobName + ".", generation);
            events.record(image, Type.Normal, "RepackStarted", "A boot order of " + status.bootOrder.files + " files arrived"
                    + " (node " + status.bootOrder.node + "): re-packing in builder Job " + status.build.jobName + ".");
        }
        if (started) {
            status.phase = Phase.BUILDING;
            setCondition(status, DisklessImageStatus.BUILT, false, "Building",
                    "Building generation " + generation + " in Job " + status.build.jobName + ".", generation);
            events.record(image, Type.Normal, "BuildStarted", "Started builder Job " + status.build.jobName + ".");
            pullSecret.missing().ifPresent(warning -> events.record(image, Type.Warning, "PullSecretMissing", warning));
        }
        if (status.phase == null) {
            status.phase = Phase.PENDING;
        }
        try {
            Duration retryCollection = collector.collect(image, client, events);
            lookAgain = retryCollection == null ? lookAgain : VersionCollector.earlier(lookAgain, retryCollection);
        } catch (RuntimeException e) {
            // Garbage collection can wait for the next reconciliation; the build's status cannot.
            LOG.warn("garbage collection of {}/{} failed: {}", namespace(image), image.getMetadata().getName(), e.getMessage());
        }
        status.conditions = Health.apply(status.conditions, ImageHealth.of(status, generation), generation);
        status.observedGeneration = generation;
        StatusWrites.replaceIfChanged(image, before, context);
        var update = UpdateControl.<DisklessImage>noUpdate();
        return lookAgain == null ? update : update.rescheduleAfter(lookAgain);
    }

    /**
     * The build of this generation, as status records it from its start; the workflow makes what it needs.
     *
     * @param repack a second build of the generation, for a boot order that arrived after the first ({@link BootOrderRepack})
     */
    private Build newBuild(DisklessImage image, long generation, boolean repack) {
        var build = new Build();
        build.generation = generation;
        build.state = BuildState.RUNNING;
        build.repack = repack ? Boolean.TRUE : null;
        build.jobName = repack ? Names.repackJob(image.getMetadata().getName(), generation)
                : Names.buildJob(image.getMetadata().getName(), generation);
        build.keySecret = image.getSpec().encryption == DisklessImageSpec.Encryption.DISABLED
                ? null : Names.imageKeySecret(image.getMetadata().getName(), generation);
        build.startedAt = now();
        return build;
    }

    /** @return when to look again at a build whose end is not known yet, or null */
    private Duration observeBuild(DisklessImage image, Build build, Context<DisklessImage> context, EventRecorder events) {
        var status = image.getStatus();
        var pods = context.getSecondaryResources(Pod.class).stream()
                .filter(pod -> build.jobName.equals(pod.getMetadata().getLabels().get("job-name")))
                .toList();
        BuildOutcome outcome = buildJob.getSecondaryResource(image, context)
                .map(job -> BuildOutcome.of(job, pods, clock.instant()))
                .orElseGet(() -> new BuildOutcome.Failed("the builder Job " + build.jobName + " was deleted before it finished"));
        switch (outcome) {
            case BuildOutcome.Running running -> status.phase = Phase.BUILDING;
            case BuildOutcome.AwaitingPod waiting -> {
                status.phase = Phase.BUILDING;
                return waiting.lookAgainIn();
            }
            case BuildOutcome.Succeeded succeeded -> {
                publish(image, build, succeeded.result(), events);
                buildMetrics.finished(image, build, true, Duration.ofSeconds(status.buildSeconds));
            }
            case BuildOutcome.Failed failed -> {
                build.state = BuildState.FAILED;
                build.finishedAt = now();
                build.failure = failed.reason();
                status.phase = Phase.FAILED;
                status.buildLog = buildLog(image, build.jobName);
                setCondition(status, DisklessImageStatus.BUILT, false, "BuildFailed", failed.reason(), build.generation);
                events.record(image, Type.Warning, "BuildFailed", "Build of generation " + build.generation + " failed: " + failed.reason());
                buildMetrics.finished(image, build, false, Duration.between(Instant.parse(build.startedAt), Instant.parse(build.finishedAt)));
            }
        }
        return null;
    }

    /** A stopped build uploads nothing more: its grant goes, even before it would expire. */
    private static void endUploadGrant(DisklessImage image, Build build, KubernetesClient client) {
        client.secrets().inNamespace(namespace(image)).withName(Names.buildUploadSecret(image.getMetadata().getName(), build.generation))
                .delete();
    }

    private void refuseBuild(DisklessImage image, long generation, String why, EventRecorder events) {
        var status = image.getStatus();
        var build = new Build();
        build.generation = generation;
        build.state = BuildState.FAILED;
        build.startedAt = now();
        build.finishedAt = build.startedAt;
        build.failure = why;
        status.build = build;
        // This newest build ran no Job, so it has no log; the previous build's would answer the wrong question.
        status.buildLog = null;
        status.phase = Phase.FAILED;
        setCondition(status, DisklessImageStatus.BUILT, false, "PullSecretRefused", why, generation);
        events.record(image, Type.Warning, "PullSecretRefused", why);
    }

    private void publish(DisklessImage image, Build build, BuildResult result, EventRecorder events) {
        var status = image.getStatus();
        var version = new ImageVersion();
        version.digest = result.digest();
        version.generation = build.generation;
        version.publishedAt = now();
        version.kernelVersion = result.kernelVersion();
        version.sourceDigest = result.sourceDigest();
        version.rootImageBytes = result.rootImageBytes();
        version.encrypted = build.keySecret != null;
        version.keyId = result.keyId();
        version.keySecret = build.keySecret;
        version.artifacts = new DisklessImageStatus.Artifacts();
        version.artifacts.manifest = blobPath(result.digest());
        version.artifacts.kernel = blobPath(result.kernelDigest());
        version.artifacts.initramfs = blobPath(result.initramfsDigest());
        version.artifacts.rootImage = blobPath(result.rootImageDigest());

        var versions = new ArrayList<ImageVersion>();
        versions.add(version);
        status.versions.stream().filter(v -> !v.digest.equals(version.digest)).forEach(versions::add);
        status.versions = versions;

        build.state = BuildState.SUCCEEDED;
        build.finishedAt = now();
        build.bootOrderFiles = result.bootOrderFiles();
        status.phase = Phase.PUBLISHED;
        status.digest = version.digest;
        status.shortDigest = Names.shortDigest(version.digest);
        status.rootImageBytes = result.rootImageBytes();
        status.squashfsBytes = result.squashfsBytes();
        status.size = Names.humanSize(result.rootImageBytes());
        status.kernelVersion = result.kernelVersion();
        status.sourceDigest = result.sourceDigest();
        status.artifacts = version.artifacts;
        status.buildLog = buildLog(image, build.jobName);
        status.buildSeconds = result.buildSeconds() != null
                ? result.buildSeconds()
                : Duration.between(Instant.parse(build.startedAt), clock.instant()).toSeconds();
        setCondition(status, DisklessImageStatus.BUILT, true, "BuildSucceeded",
                "Generation " + build.generation + " built in " + status.buildSeconds + "s.", build.generation);
        setCondition(status, DisklessImageStatus.PUBLISHED, true, "Published",
                "Version " + status.shortDigest + " is on the origin.", build.generation);
        events.record(image, Type.Normal, "Published",
                "Published version " + version.digest + " (" + status.size + ", kernel " + result.kernelVersion() + ").");
    }

    @Override
    public DeleteControl cleanup(DisklessImage image, Context<DisklessImage> context) {
        if (image.getStatus() == null || image.getStatus().versions.isEmpty()) {
            return DeleteControl.defaultDelete();
        }
        try {
            Duration retry = collector.deleteAll(image, context.getClient());
            return retry == null ? DeleteControl.defaultDelete() : DeleteControl.noFinalizerRemoval().rescheduleAfter(retry);
        } catch (IOException e) {
            new EventRecorder(context.getClient()).record(image, Type.Warning, "OriginCleanupFailed",
                    "Could not delete the image's blobs from the origin (will retry): " + e.getMessage());
            return DeleteControl.noFinalizerRemoval().rescheduleAfter(Duration.ofSeconds(30));
        }
    }

    @Override
    public ErrorStatusUpdateControl<DisklessImage> updateErrorStatus(DisklessImage image, Context<DisklessImage> context, Exception e) {
        return StatusWrites.patchAfterError(image, context, read -> {
            var status = read.getStatus() == null ? new DisklessImageStatus() : read.getStatus();
            read.setStatus(status);
            status.conditions = Health.apply(status.conditions, new Health.InProgress("ReconcileError",
                    "The operator could not act on this image (will retry): " + e.getMessage()), read.getMetadata().getGeneration());
            return read;
        });
    }

    private static void setCondition(DisklessImageStatus status, String type, boolean value, String reason, String message, Long generation) {
        status.conditions = Condition.upsert(status.conditions, new Condition(type, value, reason, message, generation));
    }

    /** The command that shows a build's log: so far, while it runs. */
    private static String buildLog(DisklessImage image, String jobName) {
        return "kubectl logs -n " + namespace(image) + " job/" + jobName;
    }

    static String blobPath(String digest) {
        return BlobDigest.parse(digest).path();
    }

    private static String namespace(DisklessImage image) {
        return image.getMetadata().getNamespace();
    }

    private String now() {
        return clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    }
}

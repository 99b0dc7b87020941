package dev.tether.operator.image;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageStatus.Build;
import dev.tether.api.v1alpha1.DisklessImageStatus.BuildState;
import dev.tether.operator.Names;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.config.informer.InformerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResourceConfigBuilder;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.SecondaryToPrimaryMapper;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import java.util.Optional;

/**
 * An object that belongs to the build the image's status names ({@code status.build}): named after that build's
 * generation, owned by the image, watched by its component label. The reconciler decides which build that is; a
 * dependent only follows.
 *
 * <p>Owned even when it is no {@code GarbageCollected} dependent: a create-only dependent must outlive its build (a
 * key, a Job kept for its log), and JOSDK would delete a garbage-collected one the moment its precondition fails.
 */
abstract class BuildDependent<R extends HasMetadata> extends KubernetesDependentResource<R, DisklessImage> {
    /** The precondition of whatever a build needs only while it runs: the build in status is running. */
    static final Condition<Object, DisklessImage> BUILD_RUNNING = (DependentResource<Object, DisklessImage> dependent,
            DisklessImage image, Context<DisklessImage> context) -> running(image);

    @SuppressWarnings({"unchecked", "rawtypes"})
    BuildDependent(Class<R> type, String component) {
        super(type);
        configureWith(new KubernetesDependentResourceConfigBuilder()
                .withKubernetesDependentInformerConfig(InformerConfiguration.builder(type)
                        .withLabelSelector(Names.COMPONENT + "=" + component)
                        .build())
                .build());
    }

    /** The name of this dependent's object for the build in status. */
    abstract String name(DisklessImage image, Build build);

    /** The build in status; a placeholder for generation 0 (whose objects never exist) before the first. */
    static Build build(DisklessImage image) {
        var status = image.getStatus();
        return status == null || status.build == null ? new Build() : status.build;
    }

    static long generation(Build build) {
        return build.generation == null ? 0 : build.generation;
    }

    static boolean running(DisklessImage image) {
        return build(image).state == BuildState.RUNNING;
    }

    /** Found by name, without computing the desired object (which may mint a key or a grant). */
    @Override
    protected ResourceID targetSecondaryResourceID(DisklessImage image, Context<DisklessImage> context) {
        return new ResourceID(name(image, build(image)), image.getMetadata().getNamespace());
    }

    @Override
    protected boolean addOwnerReference() {
        return true;
    }

    @Override
    protected Optional<SecondaryToPrimaryMapper<R>> getSecondaryToPrimaryMapper(EventSourceContext<DisklessImage> context) {
        return Optional.of(Mappers.fromOwnerReferences(DisklessImage.class));
    }
}

package dev.tether.operator.image;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageStatus.Build;
import dev.tether.operator.Names;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.Updater;

/**
 * The spec a running build works from ({@link BuildJob#specConfigMap}), mounted into its builder. It lives as long as
 * its build runs: once the build ends, nothing reads it.
 */
final class BuildSpecConfigMap extends BuildDependent<ConfigMap>
        implements Creator<ConfigMap, DisklessImage>, Updater<ConfigMap, DisklessImage>, GarbageCollected<DisklessImage> {
    BuildSpecConfigMap() {
        super(ConfigMap.class, BuildJob.COMPONENT);
    }

    @Override
    String name(DisklessImage image, Build build) {
        return BuildJob.specConfigMapName(image.getMetadata().getName(), generation(build));
    }

    @Override
    protected ConfigMap desired(DisklessImage image, Context<DisklessImage> context) {
        return BuildJob.specConfigMap(image, generation(build(image)));
    }
}

package dev.tether.operator.image;

import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.DisklessImageStatus.Build;
import dev.tether.operator.Names;
import dev.tether.operator.OperatorConfig;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Deleter;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import java.time.Clock;

/**
 * A running build's upload grant ({@link UploadToken#grantSecret}), minted once when the build starts. It goes the moment
 * its build ends, before it would expire: a finished build uploads nothing more.
 */
final class UploadGrantSecret extends BuildDependent<Secret> implements Creator<Secret, DisklessImage>, Deleter<DisklessImage> {
    static final String COMPONENT = "upload-grant";

    private final OperatorConfig config;
    private final Clock clock;

    UploadGrantSecret(OperatorConfig config, Clock clock) {
        super(Secret.class, COMPONENT);
        this.config = config;
        this.clock = clock;
    }

    @Override
    String name(DisklessImage image, Build build) {
        return Names.buildUploadSecret(image.getMetadata().getName(), generation(build));
    }

    @Override
    protected Secret desired(DisklessImage image, Context<DisklessImage> context) {
        return UploadToken.grantSecret(context.getClient(), config, image.getMetadata().getNamespace(), image.getMetadata().getName(),
                generation(build(image)), BuildJob.uploadGrantExpiry(image, clock.instant()));
    }
}

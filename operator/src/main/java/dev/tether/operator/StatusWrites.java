package dev.tether.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.CustomResource;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a reconciler writes its resource's status: locked to the version it read, and with what the API server answered
 * kept for the next reconciliation (JOSDK's {@link PrimaryUpdateAndCacheUtils}).
 *
 * <p>Why not {@code UpdateControl.patchStatus}: without server-side apply, JOSDK sends a JSON patch computed against
 * the resource as the informer had it, unlocked, and does not keep what the API server answered. A reconciliation that
 * follows closely (a Job event arrived during the last one) then starts from the resource as it was before the last
 * write, and its patch's list indices point into a status that no longer has that shape: the API server refuses it,
 * or, where the shapes happen to line up, applies it to the wrong entries. This status is state the next
 * reconciliation acts on (an image's versions and its build, a node's key), so each reconciliation must read its own
 * last write, and a write based on an old read must fail rather than land.
 */
public final class StatusWrites {
    private static final Logger LOG = LoggerFactory.getLogger(StatusWrites.class);

    private StatusWrites() {}

    /**
     * Writes {@code resource}'s whole status, for kinds whose status only their reconciler writes. A conflict (the
     * resource changed since it was read, say its spec) is retried on the newer resource with this same status: the
     * next reconciliation, which the change triggers, computes the status of the new spec.
     */
    public static <S, P extends CustomResource<?, S>> void replace(P resource, Context<P> context) {
        S status = resource.getStatus();
        PrimaryUpdateAndCacheUtils.updateStatusAndCacheResource(resource, context, latest -> {
            latest.setStatus(status);
            return latest;
        });
    }

    /**
     * The status as a reconciliation received it, to be compared by {@link #replaceIfChanged} with what it computed.
     * Taken before the reconciliation changes anything (the status object is changed in place).
     */
    public static String before(CustomResource<?, ?> resource, Context<?> context) {
        return context.getClient().getKubernetesSerialization().asJson(resource.getStatus());
    }

    /**
     * {@link #replace} when the status differs from {@code before} ({@link #before}), else nothing. A reconciliation
     * runs for every event of its resource and of the resources it watches, most of which change nothing in its
     * status; an unchanged write would still cost the API server a write, every watcher an event, and this
     * reconciler one more run (its own write comes back as an event).
     *
     * @return whether it wrote
     */
    public static <S, P extends CustomResource<?, S>> boolean replaceIfChanged(P resource, String before, Context<P> context) {
        if (before.equals(context.getClient().getKubernetesSerialization().asJson(resource.getStatus()))) {
            return false;
        }
        replace(resource, context);
        return true;
    }

    /**
     * Patches the part of the status that {@code change} computes, for kinds whose status others write too (a
     * NodeCredential's, which the node API writes at every boot). {@code change} is applied to the resource as read,
     * and again to the newer one when the write meets a conflict, so another writer's fields are never overwritten
     * with an old copy.
     *
     * @param read the resource as the reconciliation received it, unchanged
     */
    public static <P extends HasMetadata> void patch(P read, Context<P> context, UnaryOperator<P> change) {
        PrimaryUpdateAndCacheUtils.patchStatusAndCacheResource(read, context, change);
    }

    /**
     * For {@code updateErrorStatus}: patches what {@code change} computes (the condition saying what failed) onto the
     * resource as last written, not onto the failed reconciliation's half-changed copy, and leaves the retry to JOSDK.
     * The write is best effort: the API server may be what failed.
     */
    public static <P extends HasMetadata> ErrorStatusUpdateControl<P> patchAfterError(P failed, Context<P> context, UnaryOperator<P> change) {
        try {
            var cloner = context.getControllerConfiguration().getConfigurationService().getResourceCloner();
            P read = context.getPrimaryCache().get(ResourceID.fromResource(failed)).map(cloner::clone).orElse(failed);
            patch(read, context, change);
        } catch (RuntimeException e) {
            LOG.warn("could not write the status of {} {}/{} after a failed reconciliation: {}", failed.getKind(),
                    failed.getMetadata().getNamespace(), failed.getMetadata().getName(), e.getMessage());
        }
        return ErrorStatusUpdateControl.noStatusUpdate();
    }
}

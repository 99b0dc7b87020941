package dev.tether.operator.profile;

import dev.tether.api.v1alpha1.NodeProfileStatus;
import dev.tether.operator.Health;

/**
 * A profile is Current when its image version is known and every edge it should have is ready. It is in
 * progress while its image is still being built or edges are starting (nodes may already boot from the ready
 * ones: the message says how many; or the DaemonSet controller has not counted them yet), and stalled when it waits on someone: a missing image or pinned version,
 * a failed image build, a root password Secret the operator may not read, or no cluster node for edges.
 */
final class ProfileHealth {
    private ProfileHealth() {}

    static Health of(NodeProfileStatus status, ResolvedImage image, RootPasswordSecret.Lookup password, boolean edgesCounted) {
        if (!image.ok()) {
            return image.problemIsTransient()
                    ? new Health.InProgress(image.problemReason(), image.problem())
                    : new Health.Stalled(image.problemReason(), image.problem());
        }
        if (password instanceof RootPasswordSecret.NotUsable refused) {
            return new Health.Stalled(RootPasswordSecret.NOT_USABLE, refused.message());
        }
        int desired = status.desiredEdges == null ? 0 : status.desiredEdges;
        int ready = status.readyEdges == null ? 0 : status.readyEdges;
        if (!edgesCounted) {
            return new Health.InProgress("EdgesScheduling", "Waiting for the edge DaemonSet to be scheduled.");
        }
        if (desired == 0 && ready == 0) {
            return new Health.Stalled("NoEdgeNodes",
                    "No cluster node matches spec.edges.nodeSelector, so no edge runs; label nodes or change the selector.");
        }
        if (ready < desired) {
            return new Health.InProgress(ready == 0 ? "NoReadyEdges" : "EdgesNotReady",
                    "Edges are starting (" + ready + " of " + desired + " ready" + (ready == 0 ? "" : "; nodes boot " + status.shortDigest
                            + " from the ready ones") + ").");
        }
        return new Health.Current("Serving", "Serving " + status.shortDigest + " from " + ready + " of " + desired + " edges.");
    }
}

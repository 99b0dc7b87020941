package dev.tether.operator.profile;

import dev.tether.api.v1alpha1.NodeProfile;
import dev.tether.operator.Names;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;

/** A Service in front of the profile's edges, for clients inside the cluster (prefetch, monitoring). */
public class EdgeService extends CRUDKubernetesDependentResource<Service, NodeProfile> {

    public EdgeService() {
        super(Service.class);
    }

    @Override
    protected Service desired(NodeProfile profile, Context<NodeProfile> context) {
        return build(profile);
    }

    public static Service build(NodeProfile profile) {
        var edges = EdgeDaemonSet.settings(profile);
        var labels = EdgeDaemonSet.labels(profile);
        return new ServiceBuilder()
                .withNewMetadata()
                .withName(Names.edgeDaemonSet(profile.getMetadata().getName()))
                .withNamespace(profile.getMetadata().getNamespace())
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withType("ClusterIP")
                .withSelector(EdgeDaemonSet.selector(profile))
                .addNewPort().withName("http").withPort(edges.port).withTargetPort(new IntOrString("http")).withProtocol("TCP").endPort()
                .addNewPort().withName("node-api").withPort(edges.apiPort).withTargetPort(new IntOrString("node-api")).withProtocol("TCP").endPort()
                .endSpec()
                .build();
    }
}

package dev.tether.operator.identity;

import dev.tether.api.v1alpha1.NodeFileTemplate;
import dev.tether.api.v1alpha1.NodeProfile;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Brings a profile back to reconciliation when a ConfigMap its node files are templated from changes, so its
 * {@code NodeIdentityRendered} condition follows a GitOps edit of the template. Only ConfigMaps labelled for the use
 * are watched: the operator reads no other for node files.
 */
public final class NodeFileConfigMaps {
    private static final String INDEX = "node-file-configmaps";

    private NodeFileConfigMaps() {
    }

    public static InformerEventSource<ConfigMap, NodeProfile> eventSource(EventSourceContext<NodeProfile> context) {
        context.getPrimaryCache().addIndexer(INDEX, NodeFileConfigMaps::configMapsOf);
        var configuration = InformerEventSourceConfiguration.from(ConfigMap.class, NodeProfile.class)
                .withName(INDEX)
                .withLabelSelector(ConfigMapTemplates.USE_LABEL + "=" + ConfigMapTemplates.USE)
                .withSecondaryToPrimaryMapper(map -> context.getPrimaryCache()
                        .byIndex(INDEX, map.getMetadata().getNamespace() + "/" + map.getMetadata().getName())
                        .stream().map(ResourceID::fromResource).collect(Collectors.toSet()))
                .build();
        return new InformerEventSource<>(configuration, context);
    }

    static List<String> configMapsOf(NodeProfile profile) {
        if (profile.getSpec() == null || profile.getSpec().nodeFiles == null) {
            return List.of();
        }
        return profile.getSpec().nodeFiles.stream()
                .map(file -> file.templateFrom)
                .filter(Objects::nonNull)
                .map((NodeFileTemplate.ConfigMapKeyRef ref) -> profile.getMetadata().getNamespace() + "/" + ref.name)
                .distinct()
                .toList();
    }
}

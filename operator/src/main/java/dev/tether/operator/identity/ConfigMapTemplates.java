package dev.tether.operator.identity;

import dev.tether.api.v1alpha1.NodeFileTemplate;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Templates from ConfigMaps of the profile's own namespace that are labelled {@code tether.dev/use=node-files}: the
 * operator reads no other ConfigMap for them, so a profile cannot have it render (and so publish onto a node) a
 * ConfigMap that was never meant for nodes, such as another application's settings.
 */
public final class ConfigMapTemplates implements TemplateSource {
    public static final String USE_LABEL = "tether.dev/use";
    public static final String USE = "node-files";

    private final KubernetesClient client;
    private final Map<String, Optional<ConfigMap>> read = new HashMap<>();

    /** Reads each ConfigMap once for the lifetime of this object (one boot answer, or one reconciliation). */
    public ConfigMapTemplates(KubernetesClient client) {
        this.client = client;
    }

    @Override
    public String template(String namespace, NodeFileTemplate.ConfigMapKeyRef ref) {
        ConfigMap map = read.computeIfAbsent(namespace + "/" + ref.name,
                key -> Optional.ofNullable(client.configMaps().inNamespace(namespace).withName(ref.name).get())).orElse(null);
        if (map == null) {
            throw new NodeFileTemplates.RenderingFailed("there is no ConfigMap " + namespace + "/" + ref.name + " (labelled "
                    + USE_LABEL + "=" + USE + ", the operator's only source of node file templates)");
        }
        Map<String, String> labels = map.getMetadata().getLabels();
        if (labels == null || !USE.equals(labels.get(USE_LABEL))) {
            throw new NodeFileTemplates.RenderingFailed("ConfigMap " + namespace + "/" + ref.name + " is not labelled "
                    + USE_LABEL + "=" + USE + " (the operator reads node file templates from no other ConfigMap)");
        }
        String text = map.getData() == null ? null : map.getData().get(ref.key);
        if (text == null) {
            throw new NodeFileTemplates.RenderingFailed("ConfigMap " + namespace + "/" + ref.name + " has no key " + ref.key
                    + " in its data");
        }
        return text;
    }
}

package dev.tether.operator.identity;

import dev.tether.api.v1alpha1.NodeFileTemplate;

/** Where a node file's template comes from when the profile names a ConfigMap. */
public interface TemplateSource {
    /** The template text, or {@link NodeFileTemplates.RenderingFailed} saying why there is none. */
    String template(String namespace, NodeFileTemplate.ConfigMapKeyRef ref);
}

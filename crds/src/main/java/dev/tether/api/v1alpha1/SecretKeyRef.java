package dev.tether.api.v1alpha1;

import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** A key inside a Secret in the resource's own namespace. */
public class SecretKeyRef {
    @Required
    @Pattern(Patterns.DNS_SUBDOMAIN)
    public String name;

    @Required
    @Pattern("^[-._a-zA-Z0-9]+$")
    public String key;

    public SecretKeyRef() {}

    public SecretKeyRef(String name, String key) {
        this.name = name;
        this.key = key;
    }
}

package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** A key inside a Secret in the resource's own namespace. */
public class SecretKeyRef {
    @JsonPropertyDescription("Name of the Secret, in the resource's namespace.")
    @Required
    @Pattern(Patterns.DNS_SUBDOMAIN)
    public String name;

    @JsonPropertyDescription("Key within the Secret.")
    @Required
    @Pattern("^[-._a-zA-Z0-9]+$")
    public String key;

    public SecretKeyRef() {}

    public SecretKeyRef(String name, String key) {
        this.name = name;
        this.key = key;
    }
}

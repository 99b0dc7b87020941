package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * A file written into each node's root at boot, rendered for that node from a Mustache template (docs/node-identity.md
 * lists the variables). The operator renders it; a template sees only the node's own credential and profile.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.template) != has(self.templateFrom)", message = "give either template or templateFrom, not both")
public class NodeFileTemplate {
    @JsonPropertyDescription("Absolute path in the node's root, e.g. /etc/chrony/conf.d/site.conf. Not under /proc, /sys, /dev or /run, "
            + "and not a file the Tether agent writes itself (/etc/hostname, /etc/shadow, SSH host keys and trust).")
    @Required
    @Pattern(Patterns.ABSOLUTE_PATH)
    @Size(max = 1024)
    public String path;

    @JsonPropertyDescription("Permission bits in octal; no set-user-ID, set-group-ID or sticky bit, and not writable by others.")
    @Default("0644")
    @Pattern("^0?[0-7][0-7][0-7]$")
    public String mode = "0644";

    @JsonPropertyDescription("Owner as user:group, by name (looked up in the image's /etc/passwd and /etc/group) or number; root when "
            + "absent.")
    @Pattern("^([a-z_][a-z0-9_-]{0,31}[$]?:[a-z_][a-z0-9_-]{0,31}[$]?|[0-9]{1,10}:[0-9]{1,10})$")
    public String owner;

    @JsonPropertyDescription("The Mustache template (logic-less: variables, sections over lists, no code).")
    @Size(max = 65536)
    public String template;

    @JsonPropertyDescription("The template from a key of a ConfigMap in this namespace labelled tether.dev/use=node-files (the "
            + "operator reads no other ConfigMap for it).")
    public ConfigMapKeyRef templateFrom;

    public NodeFileTemplate() {}

    public NodeFileTemplate(String path, String template) {
        this.path = path;
        this.template = template;
    }

    /** A key inside a ConfigMap in the profile's own namespace. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ConfigMapKeyRef {
        @JsonPropertyDescription("Name of the ConfigMap, in the profile's namespace.")
        @Required
        @Pattern(Patterns.DNS_SUBDOMAIN)
        @Size(max = 253)
        public String name;

        @JsonPropertyDescription("Key within the ConfigMap.")
        @Required
        @Pattern("^[-._a-zA-Z0-9]+$")
        @Size(max = 253)
        public String key;

        public ConfigMapKeyRef() {}

        public ConfigMapKeyRef(String name, String key) {
            this.name = name;
            this.key = key;
        }
    }
}

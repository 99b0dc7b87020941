package dev.tether.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;

/** The host name a booted node gives itself ({@code /etc/hostname}, and the {@code 127.0.1.1} line of {@code /etc/hosts}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NodeHostname {
    @JsonPropertyDescription("nodeName: the NodeCredential's nodeName; fqdn: its fully qualified name (the credential's fqdn, else "
            + "nodeName.domain); image: keep the image's /etc/hostname.")
    @Default("nodeName")
    public Source from = Source.NODE_NAME;

    @JsonPropertyDescription("DNS domain of the nodes: their fully qualified name is nodeName.domain where the NodeCredential gives "
            + "no fqdn. Also the {{domain}} of node file templates.")
    @Pattern(Patterns.DNS_SUBDOMAIN)
    @Size(max = 190)
    public String domain;

    public NodeHostname() {}

    public NodeHostname(Source from, String domain) {
        this.from = from;
        this.domain = domain;
    }

    public enum Source {
        @JsonProperty("nodeName") NODE_NAME,
        @JsonProperty("fqdn") FQDN,
        @JsonProperty("image") IMAGE
    }
}

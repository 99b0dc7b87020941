package dev.tether.nodeapi;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Who the node is once booted: the host name it gives itself, and the files its profile renders for it alone.
 * The operator renders; the agent writes them into the new root (checking them again against {@link NodeFileRules}).
 *
 * @param hostname     the name for {@code /etc/hostname}, or null to keep the image's
 * @param fqdn         the fully qualified name for the {@code 127.0.1.1} line of {@code /etc/hosts}, or null
 * @param files        the profile's node files, rendered for this node; empty when there are none or
 *                     {@code filesProblem} says why none are sent
 * @param filesProblem why the profile's node files could not be rendered for this node (the node then boots with
 *                     none of them), or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record NodeIdentity(String hostname, String fqdn, List<NodeFile> files, String filesProblem) {

    /**
     * One rendered file.
     *
     * @param path    absolute path in the node's root, as {@link NodeFileRules#checkPath} allows
     * @param mode    permission bits, octal ({@code 0644}), as {@link NodeFileRules#checkMode} allows
     * @param owner   {@code user:group} by name or number, resolved in the image's {@code /etc/passwd} and
     *                {@code /etc/group}; null for root
     * @param content the rendered text
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record NodeFile(String path, String mode, String owner, String content) {
        @Override
        public String toString() {
            return "NodeFile[" + path + " " + mode + " " + (owner == null ? "root" : owner) + ", "
                    + (content == null ? 0 : content.length()) + " chars]";
        }
    }
}

package dev.tether.nodeapi;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Everything a node needs to build its root and become itself, for the node that asked (authenticated).
 * Absent optional fields mean the profile leaves them at their defaults.
 *
 * @param image            digest of the image version to boot ({@code sha256:…})
 * @param method           {@code tethered} or {@code untethered}
 * @param edges            edge base URLs to read the image from
 * @param tpmPolicy        {@code required}, {@code preferred} or {@code disabled}
 * @param rootPasswordHash crypt(3) hash for root's shadow entry, or null for no password login
 * @param identity         host name and per-node files; null from an operator that sends none (the image's stay)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record BootConfiguration(String namespace, String nodeName, String fqdn, List<String> addresses,
        String profile, String image, String method, List<String> edges, List<String> kernelArgs,
        WritableLayer writableLayer, List<String> persistencePaths, String rootPasswordHash, Ssh ssh,
        String tpmPolicy, NodeIdentity identity) {

    /** Without a node identity: the node keeps the image's host name and gets no node files. */
    public BootConfiguration(String namespace, String nodeName, String fqdn, List<String> addresses, String profile,
            String image, String method, List<String> edges, List<String> kernelArgs, WritableLayer writableLayer,
            List<String> persistencePaths, String rootPasswordHash, Ssh ssh, String tpmPolicy) {
        this(namespace, nodeName, fqdn, addresses, profile, image, method, edges, kernelArgs, writableLayer,
                persistencePaths, rootPasswordHash, ssh, tpmPolicy, null);
    }

    /** zram size as a fraction of RAM or as bytes (one of them), and the compression algorithm. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record WritableLayer(Double ramFraction, Long sizeBytes, String compression) {
    }

    /**
     * @param caPublicKey    the SSH CA's public key (OpenSSH line) that signs host certificates
     * @param hostKeyTypes   key types to generate at every boot ({@code ed25519}, {@code ecdsa}, {@code rsa})
     * @param authorizedKeys lines for root's {@code authorized_keys}
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Ssh(String caPublicKey, List<String> hostKeyTypes, List<String> authorizedKeys) {
    }

    @Override
    public String toString() {
        return "BootConfiguration[" + namespace + "/" + nodeName + ", profile=" + profile + ", image=" + image
                + ", method=" + method + ", rootPasswordHash=" + (rootPasswordHash == null ? "none" : "(redacted)") + "]";
    }
}

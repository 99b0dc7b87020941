package dev.tether.nodeapi;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * The node API as both sides see it: paths, headers, limits and the name on the server's certificate.
 * The operator serves it over HTTPS; a booting node reaches it through any edge's pass-through port, so
 * the TLS session ends at the operator and an edge never sees a key (docs/contracts.md).
 */
public final class NodeApi {
    /** The DNS name on the node API's certificate. Nodes dial an edge's address, so they check this name instead. */
    public static final String SERVER_NAME = "tether-node-api";
    /** Where the addon archive puts the cluster CA certificate (PEM) that signs the node API's certificate. */
    public static final String CA_CERTIFICATE_PATH = "/etc/tether/node-api-ca.pem";

    public static final String VERSION = "v1";
    public static final String AUTHORIZATION = "Authorization";
    public static final String BEARER = "Bearer ";
    /** API keys are {@code tk_} followed by base64url; anything longer than this is refused unread. */
    public static final int MAX_API_KEY_LENGTH = 128;
    /** No request body is larger: a few public keys or a boot report. */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    /** {@code POST}, no key: a new API key while the credential is armed. Body {@link ArmingRequest}, answer {@link ApiKeyIssued}. */
    public static final String API_KEY = "api-key";
    /** {@code GET}: the node's {@link BootConfiguration}. */
    public static final String BOOT_CONFIG = "boot-config";
    /** {@code GET ?digest=sha256:…}: the {@link ImageKeyIssued} of a version of the node's profile's image. */
    public static final String IMAGE_KEY = "image-key";
    /** {@code POST}: {@link HostKeys} in, {@link HostCertificates} out. */
    public static final String HOST_CERTIFICATES = "host-certificates";
    /** {@code POST}: a {@link BootReport}; answered 204. */
    public static final String BOOT_REPORT = "boot-report";
    /**
     * {@code POST}: the {@link BootFiles} the boot read, once per boot, after the node has gone quiet; answered 204
     * whether the operator keeps it (the image's first) or not (the image has one already).
     */
    public static final String BOOT_FILES = "boot-files";

    /**
     * {@code GET}, API key only: the node's {@link PersistenceKey} (its archive key, the generation stored, the limits and a
     * token for the saves of this boot). 409 {@code NoPersistence} when the profile keeps no paths.
     */
    public static final String PERSISTENCE_KEY = "persistence-key";
    /**
     * The node's encrypted archive of its kept paths ({@code application/octet-stream}; docs/persistence.md).
     * {@code GET}: the stored archive, its generation in {@link #PERSISTENCE_GENERATION}; 404 {@code NoArchive} before the
     * first save. {@code PUT ?generation=N}: a new archive, streamed (not bound by {@link #MAX_BODY_BYTES}) and refused
     * past the node's {@code maxBytes}; {@code N} must be the stored generation plus one. Both take the API key or the
     * boot's persistence token.
     */
    public static final String PERSISTENCE = "persistence";
    /** The generation of the archive a {@code GET persistence} answer carries. */
    public static final String PERSISTENCE_GENERATION = "Tether-Persistence-Generation";
    /** Persistence tokens: {@code tp_} followed by base64url; they authenticate {@link #PERSISTENCE} and nothing else. */
    public static final String PERSISTENCE_TOKEN_PREFIX = "tp_";

    /**
     * {@code POST}, no key, on a profile rather than a node: a machine no credential knows registers with the profile
     * whose edges it booted from. Body {@link DiscoveryRequest}, answer {@link DiscoveryAnswer}.
     */
    public static final String DISCOVERY = "discovery";

    private NodeApi() {}

    /** {@code /v1/namespaces/<namespace>/profiles/<profile>/discovery}. */
    public static String discoveryPath(String namespace, String profile) {
        return "/" + VERSION + "/namespaces/" + encode(namespace) + "/profiles/" + encode(profile) + "/" + DISCOVERY;
    }

    /** {@code /v1/namespaces/<namespace>/nodes/<node>/<endpoint>}; the node is the NodeCredential's {@code spec.nodeName}. */
    public static String path(String namespace, String node, String endpoint) {
        return "/" + VERSION + "/namespaces/" + encode(namespace) + "/nodes/" + encode(node) + "/" + endpoint;
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}

package dev.tether.api.v1alpha1;

/** Regular expressions shared by the schema of all three resources. */
public final class Patterns {
    /** RFC 1123 subdomain, as Kubernetes object names. */
    public static final String DNS_SUBDOMAIN =
            "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
    /** RFC 1123 label, as host names and most Kubernetes names. */
    public static final String DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
    /** A content address: sha256 of the artifact's bytes. */
    public static final String DIGEST = "^sha256:[a-f0-9]{64}$";
    /** A size in bytes, optionally with a binary suffix, as Kubernetes quantities write it. */
    public static final String BINARY_SIZE = "^[1-9][0-9]*(Ki|Mi|Gi|Ti)?$";
    /** A Go-style duration in hours, minutes or seconds (e.g. 720h, 90m). */
    public static final String DURATION = "^([0-9]+h)?([0-9]+m)?([0-9]+s)?$";
    /** A MAC address, lower case and colon separated, as iPXE's ${mac} prints it. */
    public static final String MAC = "^([0-9a-f]{2}:){5}[0-9a-f]{2}$";
    /** An SMBIOS system UUID, lower case. */
    public static final String UUID = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";
    /** An absolute path with no ".", ".." or empty component (RE2 has no look-ahead, hence the spelling). */
    public static final String ABSOLUTE_PATH = "^(/([^/.][^/]*|\\.[^/.][^/]*|\\.\\.[^/]+))+$";

    /** An RFC 3339 date-time with its offset, as {@code date -u +%FT%TZ} prints it (e.g. 2026-12-02T06:00:00Z). */
    public static final String DATE_TIME =
            "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$";

    /**
     * An image in an OCI registry, as distribution/reference spells it: host[:port]/path[:tag][@sha256:hex],
     * path components in lower case; {@code docker://} in front is allowed. imgutil checks the same grammar.
     */
    public static final String OCI_REFERENCE = "^(docker://)?"
            + "(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(\\.([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(:[0-9]{1,5})?/)?"
            + "[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*"
            + "(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$";

    private Patterns() {}
}

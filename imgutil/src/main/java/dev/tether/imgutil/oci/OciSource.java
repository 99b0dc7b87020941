package dev.tether.imgutil.oci;

import dev.tether.imgutil.UserError;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Where an OCI image comes from, checked before any tool sees it: an image in a registry
 * ({@code registry.example.org/hpc/compute:1.2}, optionally {@code docker://}), an OCI image layout
 * directory ({@code oci:/path[:tag]}), or an archive ({@code oci-archive:/file.tar[:tag]},
 * {@code docker-archive:/file.tar}). The text becomes one argument of skopeo (never a shell), but
 * skopeo gives {@code :} and {@code @} meaning, so the grammar is strict: a reference that does not
 * parse is refused here with what was expected, not half-understood later.
 *
 * @param kind which skopeo transport reads it
 * @param location the registry reference (without {@code docker://}), or the absolute path
 * @param tag the tag inside a layout or archive, or {@code null}
 */
public record OciSource(Kind kind, String location, String tag) {
    public enum Kind {
        REGISTRY("docker://"),
        LAYOUT("oci:"),
        OCI_ARCHIVE("oci-archive:"),
        DOCKER_ARCHIVE("docker-archive:");

        private final String prefix;

        Kind(String prefix) {
            this.prefix = prefix;
        }
    }

    /** The grammar of distribution/reference: host[:port]/path[:tag][@sha256:hex], path components lower case. */
    private static final String DOMAIN_PART = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private static final String DOMAIN = DOMAIN_PART + "(?:\\." + DOMAIN_PART + ")*(?::[0-9]{1,5})?";
    private static final String COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private static final Pattern NAME = Pattern.compile("(?:" + DOMAIN + "/)?" + COMPONENT + "(?:/" + COMPONENT + ")*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}");
    /** Local paths: no whitespace, quotes or shell characters, and no ':' (skopeo's separator). */
    private static final Pattern PATH = Pattern.compile("[A-Za-z0-9._/+=,@-]+");
    private static final int MAX_LENGTH = 1024;

    public static final String FORMS = "an image reference (registry.example.org/repo/name:tag or @sha256:digest, "
            + "optionally docker://), oci:/path/to/layout[:tag], oci-archive:/path/file.tar[:tag] or "
            + "docker-archive:/path/file.tar";

    /**
     * Parses what a user wrote. Relative layout and archive paths are resolved against the current directory.
     *
     * @throws UserError saying which forms are accepted
     */
    public static OciSource parse(String text) {
        if (text == null || text.isBlank()) {
            throw new UserError("no OCI image given; give " + FORMS);
        }
        if (text.length() > MAX_LENGTH || !text.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new UserError("OCI image '" + printable(text) + "' has spaces, control or non-ASCII characters;"
                    + " give " + FORMS);
        }
        for (Kind kind : new Kind[] {Kind.LAYOUT, Kind.OCI_ARCHIVE, Kind.DOCKER_ARCHIVE}) {
            if (text.startsWith(kind.prefix)) {
                return local(kind, text, text.substring(kind.prefix.length()));
            }
        }
        String reference = text.startsWith(Kind.REGISTRY.prefix) ? text.substring(Kind.REGISTRY.prefix.length()) : text;
        if (!validReference(reference)) {
            throw new UserError("'" + text + "' is not an OCI image reference; give " + FORMS);
        }
        return new OciSource(Kind.REGISTRY, reference, null);
    }

    /** True for a registry reference as {@link #parse} accepts it (without {@code docker://}). */
    public static boolean validReference(String reference) {
        String rest = reference;
        int at = rest.indexOf('@');
        if (at >= 0) {
            if (!DIGEST.matcher(rest.substring(at + 1)).matches()) {
                return false;
            }
            rest = rest.substring(0, at);
        }
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            if (!TAG.matcher(rest.substring(colon + 1)).matches()) {
                return false;
            }
            rest = rest.substring(0, colon);
        }
        return rest.length() <= 255 && NAME.matcher(rest).matches();
    }

    private static OciSource local(Kind kind, String text, String rest) {
        String path = rest;
        String tag = null;
        int colon = rest.indexOf(':');
        if (colon >= 0) {
            path = rest.substring(0, colon);
            tag = rest.substring(colon + 1);
            if (!TAG.matcher(tag).matches()) {
                throw new UserError("'" + text + "': the tag after the path must be letters, digits, '.', '_' or '-'");
            }
        }
        if (path.isEmpty() || !PATH.matcher(path).matches() || path.startsWith("-")) {
            throw new UserError("'" + text + "': the path may hold only letters, digits and . _ / + = , @ -"
                    + " (no spaces, quotes or ':'); move or link the " + (kind == Kind.LAYOUT ? "layout" : "archive")
                    + " to such a path");
        }
        return new OciSource(kind, Path.of(path).toAbsolutePath().normalize().toString(), tag);
    }

    /** The source as skopeo reads it. */
    public String skopeoReference() {
        return kind.prefix + location + (tag == null ? "" : ":" + tag);
    }

    /**
     * The same image, pinned to the manifest digest read a moment earlier, so a tag moved in between
     * cannot change what is copied. Layouts and archives are local files and are read as they are.
     */
    public String skopeoReferencePinnedTo(String digest) {
        if (kind != Kind.REGISTRY) {
            return skopeoReference();
        }
        String name = location;
        int at = name.indexOf('@');
        if (at >= 0) {
            name = name.substring(0, at);
        }
        int colon = name.lastIndexOf(':');
        if (colon > name.lastIndexOf('/')) {
            name = name.substring(0, colon);
        }
        return kind.prefix + name + "@" + digest;
    }

    /** The digest the reference itself names ({@code @sha256:...}), or {@code null}. */
    public String namedDigest() {
        int at = location.indexOf('@');
        return kind == Kind.REGISTRY && at >= 0 ? location.substring(at + 1) : null;
    }

    @Override
    public String toString() {
        return kind == Kind.REGISTRY ? location : skopeoReference();
    }

    private static String printable(String text) {
        String cut = text.length() > 80 ? text.substring(0, 80) + "..." : text;
        return cut.replaceAll("[^\\x21-\\x7e]", "?");
    }
}

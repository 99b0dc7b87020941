package dev.tether.agent;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;

/** Edge base URLs ({@code http(s)://host[:port][/prefix]}) as the kernel command line and the addon give them. */
final class EdgeUrls {
    private EdgeUrls() {
    }

    static List<URI> parseList(String key, String commaSeparated) {
        List<URI> edges = new ArrayList<>();
        for (String part : commaSeparated.split(",", -1)) {
            edges.add(parse(key, part.strip()));
        }
        return List.copyOf(edges);
    }

    static URI parse(String key, String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException(key + " has an empty URL; separate edge URLs with single commas");
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(key + ": '" + text + "' is not a URL (" + e.getReason() + ")", e);
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new IllegalArgumentException(key + ": '" + text + "' is not an http:// or https:// URL with a host");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException(key + ": '" + text + "' must be a base URL without user, query or fragment");
        }
        // A base without a trailing slash, so that base + "/blobs/..." is one well-formed URL.
        String normalized = text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
        return URI.create(normalized);
    }
}

package dev.tether.operator.nodeapi;

import java.util.List;
import java.util.Map;

/**
 * One request as the node API handles it, independent of the HTTP server: what it asks and who sent it.
 *
 * @param source        the peer's IP address (an edge's, when the node came through one)
 * @param authorization the {@code Authorization} header, or null; never logged
 */
public record NodeCall(String method, String rawPath, Map<String, List<String>> query, String authorization, byte[] body,
                       String source) {

    public String queryParameter(String name) {
        var values = query.get(name);
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    @Override
    public String toString() {
        return "NodeCall[" + method + " " + rawPath + " from " + source + "]";
    }
}

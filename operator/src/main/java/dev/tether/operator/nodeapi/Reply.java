package dev.tether.operator.nodeapi;

import dev.tether.nodeapi.ApiError;
import java.util.LinkedHashMap;
import java.util.Map;

/** One answer of the node API: status, JSON body (or none) and extra headers. */
public record Reply(int status, byte[] body, Map<String, String> headers) {
    public static final String JSON = "application/json";

    public static Reply json(int status, Object value) {
        return new Reply(status, NodeApiJson.write(value), Map.of());
    }

    public static Reply noContent() {
        return new Reply(204, new byte[0], Map.of());
    }

    public static Reply error(int status, String code, String message) {
        return json(status, new ApiError(code, message));
    }

    public Reply withHeader(String name, String value) {
        var all = new LinkedHashMap<>(headers);
        all.put(name, value);
        return new Reply(status, body, Map.copyOf(all));
    }

    @Override
    public String toString() {
        // The body may be a key: never printed.
        return "Reply[" + status + ", " + body.length + " bytes]";
    }
}

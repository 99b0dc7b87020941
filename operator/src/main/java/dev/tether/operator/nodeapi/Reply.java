package dev.tether.operator.nodeapi;

import dev.tether.nodeapi.ApiError;
import java.util.LinkedHashMap;
import java.nio.channels.FileChannel;
import java.util.Map;

/**
 * One answer of the node API: status, JSON body (or none) and extra headers; or, for a node's archive, a file streamed
 * from the operator's volume instead of a body held in memory.
 */
public record Reply(int status, byte[] body, Map<String, String> headers, Streamed stream) {
    public static final String JSON = "application/json";
    public static final String OCTETS = "application/octet-stream";

    /** A file answered as it is read; the handler closes it when written or when the connection fails. */
    public record Streamed(FileChannel file, long length) {
    }

    public Reply(int status, byte[] body, Map<String, String> headers) {
        this(status, body, headers, null);
    }

    public static Reply file(FileChannel file, long length) {
        return new Reply(200, new byte[0], Map.of(), new Streamed(file, length));
    }

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
        return new Reply(status, body, Map.copyOf(all), stream);
    }

    @Override
    public String toString() {
        // The body may be a key: never printed.
        return "Reply[" + status + ", " + (stream == null ? body.length : stream.length()) + " bytes]";
    }
}

package dev.tether.operator.nodeapi;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.nodeapi.ApiError;
import dev.tether.nodeapi.NodeApi;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A node's view of the API: dials an address (loopback here, an edge in a cluster) and verifies the
 * server's chain against the cluster CA and the name {@value NodeApi#SERVER_NAME}, as the boot agent does.
 * HTTP/1.1 is written by hand so that tests can send anything, including what a real client never would.
 */
final class NodeApiTestClient {
    static final ObjectMapper JSON = new ObjectMapper();

    private final InetSocketAddress address;
    private final SSLContext tls;
    private final String serverName;
    /** The address this client connects from (any of 127/8 on loopback), or null for the system's choice. */
    private final InetAddress from;
    /** Bytes sent before TLS starts (a PROXY protocol header), or null. */
    private final byte[] preface;

    private NodeApiTestClient(InetSocketAddress address, SSLContext tls, String serverName, InetAddress from, byte[] preface) {
        this.address = address;
        this.tls = tls;
        this.serverName = serverName;
        this.from = from;
        this.preface = preface;
    }

    NodeApiTestClient(InetSocketAddress address, X509Certificate ca, String serverName) throws Exception {
        this.address = address;
        this.serverName = serverName;
        this.from = null;
        this.preface = null;
        var trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("tether-cluster-ca", ca);
        var factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        this.tls = SSLContext.getInstance("TLS");
        tls.init(null, factory.getTrustManagers(), null);
    }

    NodeApiTestClient(InetSocketAddress address, X509Certificate ca) throws Exception {
        this(address, ca, NodeApi.SERVER_NAME);
    }

    /** The same client dialling {@code address} (an edge's API port, say) from the loopback address {@code from}. */
    NodeApiTestClient at(InetSocketAddress address, String from) throws IOException {
        return new NodeApiTestClient(address, tls, serverName, InetAddress.getByName(from), preface);
    }

    /** The same client, sending {@code bytes} before its TLS handshake. */
    NodeApiTestClient withPreface(byte[] bytes) {
        return new NodeApiTestClient(address, tls, serverName, from, bytes.clone());
    }

    record Response(int status, Map<String, String> headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        ApiError error() throws IOException {
            return JSON.readValue(body, ApiError.class);
        }

        <T> T as(Class<T> type) throws IOException {
            return JSON.readValue(body, type);
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    Response get(String namespace, String node, String endpoint, String apiKey) throws IOException {
        return send("GET", NodeApi.path(namespace, node, endpoint), apiKey, null);
    }

    Response post(String namespace, String node, String endpoint, String apiKey, Object body) throws IOException {
        byte[] bytes = body instanceof byte[] raw ? raw : body instanceof String text ? text.getBytes(StandardCharsets.UTF_8)
                : JSON.writeValueAsBytes(body);
        return send("POST", NodeApi.path(namespace, node, endpoint), apiKey, bytes);
    }

    Response send(String method, String target, String apiKey, byte[] body) throws IOException {
        var head = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: " + serverName + "\r\nConnection: close\r\n");
        if (apiKey != null) {
            head.append("Authorization: Bearer ").append(apiKey).append("\r\n");
        }
        if (body != null) {
            head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        return exchange(head.toString().getBytes(StandardCharsets.UTF_8), body);
    }

    /** Sends exactly these bytes (a request head, then maybe a body) and reads one response. */
    Response exchange(byte[] head, byte[] body) throws IOException {
        try (SSLSocket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            out.write(head);
            if (body != null) {
                try {
                    out.write(body);
                } catch (IOException e) {
                    // The server may answer (413) and close before it read everything.
                }
            }
            out.flush();
            return read(socket.getInputStream());
        }
    }

    SSLSocket connect() throws IOException {
        var plain = new Socket();
        if (from != null) {
            plain.bind(new InetSocketAddress(from, 0));
        }
        plain.connect(address, 10_000);
        if (preface != null) {
            plain.getOutputStream().write(preface);
            plain.getOutputStream().flush();
        }
        plain.setSoTimeout(30_000);
        // The name given here, not the address dialled, is what the certificate is checked against.
        var socket = (SSLSocket) tls.getSocketFactory().createSocket(plain, serverName, address.getPort(), true);
        var parameters = socket.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        return socket;
    }

    private static Response read(InputStream in) throws IOException {
        var all = new ByteArrayOutputStream();
        in.transferTo(all);
        byte[] bytes = all.toByteArray();
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            throw new IOException("no complete response: " + text);
        }
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        var headers = new LinkedHashMap<String, String>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        byte[] body = java.util.Arrays.copyOfRange(bytes, end + 4, bytes.length);
        return new Response(status, headers, body);
    }
}

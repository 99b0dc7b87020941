package dev.tether.operator.power;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A Redfish BMC made of recorded answers (the DMTF-shaped JSON under {@code src/test/resources/redfish}) behind real
 * HTTPS, with a certificate for {@code localhost} from a CA of its own ({@link #caPem}). It checks authentication as a
 * BMC does (basic, or the token of a session it opened), records every request, and can be told to answer anything.
 */
final class RecordedRedfish implements AutoCloseable {
    record Request(String method, String path, Map<String, List<String>> headers, String body) {}

    record Answer(int status, Map<String, String> headers, byte[] body) {
        static Answer json(int status, String body) {
            return new Answer(status, Map.of("Content-Type", "application/json"), body.getBytes(StandardCharsets.UTF_8));
        }
    }

    static final String TOKEN = "4f1c2b9e0d7a4e55b3c1";

    final String caPem;
    final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final HttpsServer server;
    private final String user;
    private final String password;

    RecordedRedfish(String user, String password) throws Exception {
        this.user = user;
        this.password = password;
        var generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair caKeys = generator.generateKeyPair();
        KeyPair serverKeys = generator.generateKeyPair();
        var now = Instant.now();
        var caName = new X500Name("CN=Test BMC CA");
        X509Certificate ca = sign(new JcaX509v3CertificateBuilder(caName, BigInteger.ONE, Date.from(now.minus(1, ChronoUnit.HOURS)),
                Date.from(now.plus(1, ChronoUnit.DAYS)), caName, caKeys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(0)), caKeys);
        X509Certificate leaf = sign(new JcaX509v3CertificateBuilder(caName, BigInteger.TWO, Date.from(now.minus(1, ChronoUnit.HOURS)),
                Date.from(now.plus(1, ChronoUnit.DAYS)), new X500Name("CN=localhost"), serverKeys.getPublic())
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(GeneralName.dNSName, "localhost"))), caKeys);
        var text = new StringWriter();
        try (var pem = new JcaPEMWriter(text)) {
            pem.writeObject(ca);
        }
        this.caPem = text.toString();
        var store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("bmc", serverKeys.getPrivate(), new char[0], new X509Certificate[] {leaf, ca});
        var keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, new char[0]);
        var tls = SSLContext.getInstance("TLS");
        tls.init(keys.getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/", this::handle);
        server.start();
        answer("GET", "/redfish/v1/Systems", Answer.json(200, recorded("systems.json")));
        answer("GET", "/redfish/v1/Systems/437XR1138R2", Answer.json(200, recorded("system-on.json")));
        answer("POST", "/redfish/v1/Systems/437XR1138R2/Actions/ComputerSystem.Reset", new Answer(204, Map.of(), new byte[0]));
        answer("POST", "/redfish/v1/SessionService/Sessions", new Answer(201, Map.of("X-Auth-Token", TOKEN,
                "Location", "/redfish/v1/SessionService/Sessions/1234567890ABCDEF", "Content-Type", "application/json"),
                recorded("session-created.json").getBytes(StandardCharsets.UTF_8)));
        answer("DELETE", "/redfish/v1/SessionService/Sessions/1234567890ABCDEF", new Answer(204, Map.of(), new byte[0]));
    }

    static String recorded(String name) {
        try (InputStream in = RecordedRedfish.class.getResourceAsStream("/redfish/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code https://localhost:port}: the name the certificate is for. */
    URI base() {
        return URI.create("https://localhost:" + server.getAddress().getPort());
    }

    void answer(String method, String path, Answer answer) {
        answers.put(method + " " + path, answer);
    }

    List<Request> requests(String method, String path) {
        return requests.stream().filter(r -> r.method().equals(method) && r.path().equals(path)).toList();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            requests.add(new Request(method, path, Map.copyOf(exchange.getRequestHeaders()), body));
            boolean opensSession = method.equals("POST") && path.equals("/redfish/v1/SessionService/Sessions")
                    && body.contains("\"UserName\":\"" + user + "\"") && body.contains("\"Password\":\"" + password + "\"");
            Answer answer = authenticated(exchange) || opensSession ? answers.get(method + " " + path)
                    : Answer.json(401, recorded("error-unauthorized.json"));
            if (answer == null) {
                answer = Answer.json(404, "{\"error\":{\"code\":\"Base.1.18.ResourceNotFound\",\"message\":\"not found\"}}");
            }
            answer.headers().forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
            exchange.sendResponseHeaders(answer.status(), answer.body().length == 0 ? -1 : answer.body().length);
            if (answer.body().length > 0) {
                exchange.getResponseBody().write(answer.body());
            }
        }
    }

    private boolean authenticated(HttpExchange exchange) {
        String basic = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        return basic.equals(exchange.getRequestHeaders().getFirst("Authorization"))
                || TOKEN.equals(exchange.getRequestHeaders().getFirst("X-Auth-Token"));
    }

    private static X509Certificate sign(org.bouncycastle.cert.X509v3CertificateBuilder builder, KeyPair issuer) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
    }

    @Override
    public void close() {
        server.stop(0);
    }
}

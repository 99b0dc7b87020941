package dev.tether.agent.cli;

import dev.tether.agent.AgentConsole;
import dev.tether.agent.image.Backoff;
import dev.tether.agent.trust.ApiKey;
import dev.tether.agent.trust.CaFingerprint;
import dev.tether.agent.trust.NodeApiCa;
import dev.tether.agent.trust.NodeApiClient;
import dev.tether.nodeapi.BootConfiguration;
import dev.tether.nodeapi.NodeApi;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * The selftest's TLS check: one exchange of the node API client (its CA file read, its trust manager, the JDK HTTP
 * client, the JSON of an answer) with a server on loopback in this process, over TLS 1.3 with a certificate that a
 * throwaway CA made a moment before signed, as the cluster CA signs the node API's.
 *
 * <p>It proves the whole TLS path works in this runtime, and it is what the bundle's AOT cache is trained with
 * (make-bundle.sh runs the selftest to make it): a boot's first handshake, to the node API, then finds the classes
 * of the handshake, the certificate path's validation and the HTTP client's TLS flow parsed and linked, with their
 * methods' profiles. A ClientHello alone left most of them out: on an emulated CPU (qemu-x86_64) the first node API
 * call of a fresh agent JVM took 1.41-1.52 s with a cache trained on a ClientHello and 0.82-1.01 s with one trained on
 * this exchange; a second handshake takes 70-80 ms either way.
 *
 * <p>The server answers one connection and nothing else; its key and both certificates exist only in this
 * process's memory and are valid for ten minutes.
 */
final class SelftestTls {
    private static final String NAMESPACE = "tether";
    private static final String NODE = "selftest";
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final int MAX_REQUEST_BYTES = 64 * 1024;

    private SelftestTls() {
    }

    /** Runs the exchange and says what was agreed. */
    static String exchange(AgentConsole console) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair caKey = generator.generateKeyPair();
        KeyPair serverKey = generator.generateKeyPair();
        Instant now = Instant.now();
        X509Certificate ca = Certificates.ca("CN=tether selftest CA", caKey, now);
        X509Certificate server = Certificates.server("CN=" + NodeApi.SERVER_NAME, NodeApi.SERVER_NAME, serverKey,
                ca, caKey.getPrivate(), now);

        Path caFile = Files.createTempFile("tether-selftest-ca-", ".pem");
        try (SSLServerSocket listener = listen(serverKey.getPrivate(), server, ca)) {
            Files.writeString(caFile, NodeApiCa.pem(List.of(ca)));
            CompletableFuture<String> served = serveOne(listener);
            NodeApiCa.Tls tls = NodeApiCa.read(caFile).tls(NodeApi.SERVER_NAME);
            NodeApiClient client = new NodeApiClient(
                    List.of(URI.create("https://127.0.0.1:" + listener.getLocalPort())), NAMESPACE, NODE, tls.context(),
                    new NodeApiClient.Settings(PATIENCE, PATIENCE, 1, new Backoff(PATIENCE, PATIENCE), Duration.ZERO),
                    NodeApiClient.Sleeper.REAL, console);
            long start = System.nanoTime();
            BootConfiguration answer = client.bootConfiguration(ApiKey.of("tk_selftest_" + "0".repeat(16)));
            long millis = (System.nanoTime() - start) / 1_000_000;
            String agreed = served.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            if (!NODE.equals(answer.nodeName()) || !tls.lastAccepted().equals(Optional.of(CaFingerprint.of(ca)))) {
                throw new IllegalStateException("the exchange ended with " + answer.nodeName() + " through "
                        + tls.lastAccepted());
            }
            return agreed + ", key exchange offered " + String.join(",", tls.context().getDefaultSSLParameters()
                    .getNamedGroups()) + ", with the node API client and a server on loopback, in " + millis + " ms";
        } finally {
            Files.deleteIfExists(caFile);
        }
    }

    private static SSLServerSocket listen(PrivateKey key, X509Certificate server, X509Certificate ca)
            throws GeneralSecurityException, IOException {
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(new KeyManager[] {new OneKey(key, server, ca)}, null, new SecureRandom());
        SSLServerSocket listener = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 1,
                InetAddress.getLoopbackAddress());
        listener.setEnabledProtocols(new String[] {"TLSv1.3"});
        listener.setSoTimeout((int) PATIENCE.toMillis());
        return listener;
    }

    /**
     * The server's one key and chain. Not a KeyStore: a PKCS #12 store encrypts the key it is given (PBKDF2 and
     * AES, their classes and CPU), which the AOT cache trained here would carry for nothing a boot does.
     */
    private static final class OneKey extends X509ExtendedKeyManager {
        private static final String ALIAS = "server";
        private final PrivateKey key;
        private final X509Certificate[] chain;

        OneKey(PrivateKey key, X509Certificate... chain) {
            this.key = key;
            this.chain = chain.clone();
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return ALIAS;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return ALIAS;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return new String[] {ALIAS};
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return ALIAS.equals(alias) ? chain.clone() : null;
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return ALIAS.equals(alias) ? key : null;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }

    /** Answers one request with a boot configuration; completes with the session's protocol and cipher suite. */
    private static CompletableFuture<String> serveOne(SSLServerSocket listener) {
        CompletableFuture<String> served = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("selftest-tls-server").start(() -> {
            try (SSLSocket socket = (SSLSocket) listener.accept()) {
                socket.setSoTimeout((int) PATIENCE.toMillis());
                socket.startHandshake();
                readRequest(socket.getInputStream());
                byte[] body = ("{\"namespace\":\"" + NAMESPACE + "\",\"nodeName\":\"" + NODE + "\"}")
                        .getBytes(StandardCharsets.US_ASCII);
                OutputStream out = socket.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                var session = socket.getSession();
                served.complete(session.getProtocol() + " " + session.getCipherSuite());
            } catch (IOException | RuntimeException e) {
                served.completeExceptionally(e);
            }
        });
        return served;
    }

    /** Reads past a request's head (the client's GET has no body), at most {@link #MAX_REQUEST_BYTES}. */
    private static void readRequest(InputStream in) throws IOException {
        byte[] end = {'\r', '\n', '\r', '\n'};
        int matched = 0;
        for (int read = 0; matched < end.length; read++) {
            int b = in.read();
            if (b < 0 || read >= MAX_REQUEST_BYTES) {
                throw new IOException("the client's request ended after " + read + " bytes, before its head did");
            }
            matched = b == end[matched] ? matched + 1 : b == end[0] ? 1 : 0;
        }
    }

    /**
     * Just enough X.509 (RFC 5280) in DER for a CA and a server certificate signed with ECDSA P-256: the JDK reads
     * and validates certificates but has no public API that makes them, and BouncyCastle stays out of the initramfs.
     */
    static final class Certificates {
        private static final String ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
        private static final String BASIC_CONSTRAINTS = "2.5.29.19";
        private static final String SUBJECT_ALT_NAME = "2.5.29.17";
        private static final String EXTENDED_KEY_USAGE = "2.5.29.37";
        private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
        private static final String COMMON_NAME = "2.5.4.3";
        private static final Duration VALID = Duration.ofMinutes(10);

        private Certificates() {
        }

        static X509Certificate ca(String subject, KeyPair key, Instant now) throws GeneralSecurityException {
            byte[] basicConstraints = Der.sequence(Der.tlv(0x01, new byte[] {(byte) 0xff}));
            return sign(subject, subject, key.getPublic().getEncoded(), key.getPrivate(), now,
                    extension(BASIC_CONSTRAINTS, basicConstraints));
        }

        static X509Certificate server(String subject, String dnsName, KeyPair key, X509Certificate issuer,
                PrivateKey issuerKey, Instant now) throws GeneralSecurityException {
            byte[] names = Der.sequence(Der.tlv(0x82, dnsName.getBytes(StandardCharsets.US_ASCII)));
            byte[] usages = Der.sequence(Der.oid(SERVER_AUTH));
            return sign(issuer.getSubjectX500Principal().getName(), subject, key.getPublic().getEncoded(), issuerKey,
                    now, extension(SUBJECT_ALT_NAME, names), extension(EXTENDED_KEY_USAGE, usages));
        }

        private static byte[] extension(String oid, byte[] value) {
            return Der.sequence(Der.oid(oid), Der.tlv(0x04, value));
        }

        private static X509Certificate sign(String issuer, String subject, byte[] subjectPublicKeyInfo,
                PrivateKey issuerKey, Instant now, byte[]... extensions) throws GeneralSecurityException {
            byte[] algorithm = Der.sequence(Der.oid(ECDSA_WITH_SHA256));
            byte[] serial = new BigInteger(63, new SecureRandom()).add(BigInteger.ONE).toByteArray();
            byte[] tbs = Der.sequence(
                    Der.tlv(0xa0, Der.tlv(0x02, new byte[] {2})), // [0] version: v3
                    Der.tlv(0x02, serial),
                    algorithm,
                    name(issuer),
                    Der.sequence(utcTime(now.minus(VALID)), utcTime(now.plus(VALID))),
                    name(subject),
                    subjectPublicKeyInfo,
                    Der.tlv(0xa3, Der.sequence(extensions))); // [3] extensions
            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(issuerKey);
            signer.update(tbs);
            byte[] signature = Der.tlv(0x03, Der.concat(new byte[] {0}, signer.sign())); // no unused bits
            byte[] der = Der.sequence(tbs, algorithm, signature);
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        }

        /** A name of one common name ({@code CN=...}), the only form these certificates use. */
        private static byte[] name(String distinguishedName) {
            if (!distinguishedName.startsWith("CN=") || distinguishedName.indexOf(',') >= 0) {
                throw new IllegalArgumentException("not a single common name: " + distinguishedName);
            }
            byte[] value = Der.tlv(0x0c, distinguishedName.substring(3).getBytes(StandardCharsets.UTF_8));
            return Der.sequence(Der.tlv(0x31, Der.sequence(Der.oid(COMMON_NAME), value)));
        }

        /** UTCTime, YYMMDDHHMMSSZ. Not with a DateTimeFormatter: the AOT cache would carry its classes for this alone. */
        private static byte[] utcTime(Instant instant) {
            LocalDateTime t = LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
            StringBuilder text = new StringBuilder(13);
            for (int field : new int[] {t.getYear() % 100, t.getMonthValue(), t.getDayOfMonth(), t.getHour(),
                    t.getMinute(), t.getSecond()}) {
                text.append((char) ('0' + field / 10)).append((char) ('0' + field % 10));
            }
            return Der.tlv(0x17, text.append('Z').toString().getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** DER's tag-length-value encoding (X.690), for the few types the certificates above use. */
    static final class Der {
        private Der() {
        }

        static byte[] tlv(int tag, byte[] value) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 4);
            out.write(tag);
            int length = value.length;
            if (length < 0x80) {
                out.write(length);
            } else {
                int bytes = (Integer.SIZE - Integer.numberOfLeadingZeros(length) + 7) / 8;
                out.write(0x80 | bytes);
                for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
                    out.write(length >>> shift);
                }
            }
            out.writeBytes(value);
            return out.toByteArray();
        }

        static byte[] sequence(byte[]... parts) {
            return tlv(0x30, concat(parts));
        }

        static byte[] oid(String dotted) {
            String[] arcs = dotted.split("\\.");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            base128(out, Long.parseLong(arcs[0]) * 40 + Long.parseLong(arcs[1]));
            for (int i = 2; i < arcs.length; i++) {
                base128(out, Long.parseLong(arcs[i]));
            }
            return tlv(0x06, out.toByteArray());
        }

        private static void base128(ByteArrayOutputStream out, long value) {
            int groups = Math.max(1, (Long.SIZE - Long.numberOfLeadingZeros(value) + 6) / 7);
            for (int group = groups - 1; group >= 0; group--) {
                int seven = (int) (value >>> (group * 7)) & 0x7f;
                out.write(group == 0 ? seven : seven | 0x80);
            }
        }

        static byte[] concat(byte[]... parts) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (byte[] part : parts) {
                out.writeBytes(part);
            }
            return out.toByteArray();
        }
    }
}

package dev.tether.content.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tether.content.testing.Blobs;
import dev.tether.content.testing.ChildServer;
import dev.tether.content.testing.TestServers;
import dev.tether.contracts.BlobDigest;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The origin killed with SIGKILL at each step of an upload, then started again on the same store:
 * an upload answered 201 is never lost, and nothing partial is ever visible under a digest.
 */
class OriginCrashTest {
    @TempDir
    Path store;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    CompletableFuture<HttpResponse<String>> put(ChildServer origin, BlobDigest d, byte[] body) {
        return http.sendAsync(HttpRequest.newBuilder(blobUri(origin, d)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + TestServers.TOKEN)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static URI blobUri(ChildServer origin, BlobDigest d) {
        return URI.create(TestServers.url(origin.port()) + "/blobs/sha256/" + d.hex());
    }

    HttpResponse<byte[]> get(ChildServer origin, BlobDigest d) throws Exception {
        return http.send(HttpRequest.newBuilder(blobUri(origin, d)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    List<String> storeFiles() throws Exception {
        try (Stream<Path> files = Files.list(store.resolve("blobs/sha256"))) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** After a restart: every name in the store is a complete blob whose content has that digest, and no upload is left over. */
    void assertStoreHoldsOnlyIntactBlobs() throws Exception {
        for (String name : storeFiles()) {
            assertThat(name).as("no temporary file survives a restart").doesNotStartWith(".");
            assertThat(Sha256.ofFile(store.resolve("blobs/sha256").resolve(name)).hex()).as("content of %s", name).isEqualTo(name);
        }
    }

    @Test
    void everyUploadAnswered201SurvivesAKill() throws Exception {
        List<byte[]> bodies = new ArrayList<>();
        try (ChildServer origin = ChildServer.origin(store)) {
            for (int i = 0; i < 3; i++) {
                byte[] body = Blobs.random(200_000 + i, 70 + i);
                assertThat(put(origin, Blobs.digestOf(body), body).get().statusCode()).isEqualTo(201);
                bodies.add(body);
            }
            origin.kill();
        }
        try (ChildServer again = ChildServer.origin(store)) {
            for (byte[] body : bodies) {
                HttpResponse<byte[]> r = get(again, Blobs.digestOf(body));
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo(body);
            }
            assertThat(storeFiles()).containsExactlyInAnyOrderElementsOf(bodies.stream().map(b -> Blobs.digestOf(b).hex()).toList());
        }
        assertStoreHoldsOnlyIntactBlobs();
    }

    @Test
    void anUploadKilledHalfwayThroughItsBodyLeavesNothing() throws Exception {
        byte[] body = Blobs.random(1 << 20, 74);
        BlobDigest d = Blobs.digestOf(body);
        try (ChildServer origin = ChildServer.origin(store); Socket s = new Socket("127.0.0.1", origin.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("PUT /blobs/sha256/" + d.hex() + " HTTP/1.1\r\nHost: origin\r\nAuthorization: Bearer " + TestServers.TOKEN
                    + "\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, 0, body.length / 2);
            out.flush();
            await().atMost(Duration.ofSeconds(30)).until(() -> storeFiles().stream().anyMatch(n -> n.startsWith(".upload-")));
            origin.kill();
        }
        try (ChildServer again = ChildServer.origin(store)) {
            assertThat(get(again, d).statusCode()).isEqualTo(404);
            assertThat(storeFiles()).isEmpty();
        }
    }

    /**
     * A kill loses nothing a power cut would, so this is what shows that an answered upload survives
     * one: the system calls, in order, of the thread that committed it. Its data is synced, renamed,
     * and then its directory is synced too (before, the rename could be lost while the 201 was sent).
     */
    @Test
    void theCommitSyncsTheDataThenRenamesThenSyncsTheDirectory() throws Exception {
        Path strace = Stream.of("/usr/bin/strace", "/bin/strace").map(Path::of).filter(Files::isExecutable).findFirst().orElse(null);
        if (strace == null) {
            String message = "SKIPPED: strace is not installed (apt-get install strace) - the origin's fsync order was not checked";
            System.err.println(message);
            Assumptions.abort(message);
        }
        Path trace = store.resolve("origin.strace");
        byte[] body = Blobs.random(100_000, 77);
        BlobDigest d = Blobs.digestOf(body);
        try (ChildServer origin = ChildServer.originWrappedIn(store, List.of(strace.toString(), "-f", "-qq", "-o", trace.toString(),
                "-e", "trace=fsync,fdatasync,rename,renameat,renameat2"))) {
            assertThat(put(origin, d, body).get().statusCode()).isEqualTo(201);
            origin.kill();
        }
        List<String> lines = Files.readAllLines(trace);
        int rename = -1;
        for (int i = 0; i < lines.size() && rename < 0; i++) {
            if (lines.get(i).contains("rename") && lines.get(i).contains("/" + d.hex() + "\"")) {
                rename = i;
            }
        }
        assertThat(rename).as("the rename of the upload into %s, in %s", d.hex(), trace).isNotNegative();
        String thread = lines.get(rename).split("\\s+", 2)[0];
        List<String> committer = lines.stream().filter(l -> l.startsWith(thread + " ")).toList();
        int at = committer.indexOf(lines.get(rename));
        assertThat(committer.subList(0, at)).as("the data synced before the rename")
                .anyMatch(l -> l.contains("fsync(") || l.contains("fdatasync("));
        assertThat(committer.subList(at + 1, committer.size())).as("the directory synced after the rename")
                .anyMatch(l -> l.contains("fsync(") || l.contains("fdatasync("));
    }

    /**
     * synced: the temporary file is on disk, not yet renamed; renamed: the name exists, its directory
     * not yet synced; published: durable, the 201 not yet sent. In none was the client told "stored".
     */
    @ParameterizedTest
    @ValueSource(strings = {"synced", "renamed", "published"})
    void aKillBetweenTheStepsOfACommitNeverExposesAPartialBlob(String step) throws Exception {
        byte[] other = Blobs.random(150_000, 75);
        byte[] body = Blobs.random(600_000, 76);
        BlobDigest d = Blobs.digestOf(body);
        try (ChildServer origin = ChildServer.originCrashingAt(store, step)) {
            CompletableFuture<HttpResponse<String>> upload = put(origin, d, body);
            origin.awaitLine("CRASH-POINT " + step);
            origin.kill();
            assertThat(upload).as("the killed upload was never answered").failsWithin(Duration.ofSeconds(30));
        }
        try (ChildServer again = ChildServer.origin(store)) {
            HttpResponse<byte[]> r = get(again, d);
            if ("synced".equals(step)) {
                assertThat(r.statusCode()).as("never renamed: not visible").isEqualTo(404);
            } else if ("published".equals(step)) {
                assertThat(r.statusCode()).as("durable before the answer").isEqualTo(200);
            }
            if (r.statusCode() == 200) {
                assertThat(r.body()).isEqualTo(body);
            }
            // The store works on, and the unanswered upload can simply be sent again.
            assertThat(put(again, Blobs.digestOf(other), other).get().statusCode()).isEqualTo(201);
            assertThat(put(again, d, body).get().statusCode()).isIn(200, 201);
            assertThat(get(again, d).body()).isEqualTo(body);
        }
        assertStoreHoldsOnlyIntactBlobs();
    }
}

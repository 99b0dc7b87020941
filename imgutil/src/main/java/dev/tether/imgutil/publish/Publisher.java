package dev.tether.imgutil.publish;

import dev.tether.contracts.BlobDigest;
import dev.tether.image.format.ContentDigest;
import dev.tether.image.format.Manifest;
import dev.tether.imgutil.UserError;
import dev.tether.imgutil.util.Console;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * {@code imgutil publish}: uploads a build to the origin content server (docs/contracts.md): each
 * artifact is PUT to {@code /blobs/sha256/<hex>} with the bearer token, streamed from disk, unless the
 * origin already has it; the manifest goes last, so the origin never holds a manifest whose artifacts
 * are missing.
 *
 * <p>Whether the origin has a blob is asked with {@code POST /claims/sha256/<hex>}, not a HEAD: a build
 * that skips an upload relies on a blob that no published version may name yet, so the operator's
 * garbage collection could delete it before this build's version is published. The claim (204) makes
 * the origin keep the blob until the build's upload grant expires; 404 means it is not there, and the
 * upload that follows claims it too.
 */
public final class Publisher {
    private static final int ATTEMPTS = 3;

    private final Console console;
    private final HttpClient http;

    public Publisher(Console console) {
        this.console = console;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(15)).build();
    }

    /** Uploads everything and returns the image digest. */
    public String publish(Path outDir, URI origin, String token) {
        Path manifestFile = outDir.resolve(Manifest.FILE_NAME);
        if (!Files.isRegularFile(manifestFile)) {
            throw new UserError(outDir + " has no " + Manifest.FILE_NAME + " (not a complete imgutil pack output)");
        }
        Manifest manifest;
        String imageDigest;
        try {
            manifest = Manifest.read(manifestFile);
            imageDigest = ContentDigest.ofFile(manifestFile);
        } catch (IOException e) {
            throw new UserError(manifestFile + ": " + e.getMessage());
        }
        for (Map.Entry<String, Manifest.Artifact> entry : manifest.files().entrySet()) {
            Manifest.Artifact artifact = entry.getValue();
            Path file = outDir.resolve(artifact.file());
            checkLocal(file, artifact);
            upload(origin, token, file, artifact.digest(), artifact.size());
        }
        try {
            upload(origin, token, manifestFile, imageDigest, Files.size(manifestFile));
        } catch (IOException e) {
            throw new UserError("cannot read " + manifestFile + ": " + e.getMessage());
        }
        console.info("published " + imageDigest + " to " + origin);
        return imageDigest;
    }

    private static void checkLocal(Path file, Manifest.Artifact artifact) {
        try {
            if (!Files.isRegularFile(file) || Files.size(file) != artifact.size()
                    || !ContentDigest.ofFile(file).equals(artifact.digest())) {
                throw new UserError(file + " does not match the manifest (missing or changed); pack again");
            }
        } catch (IOException e) {
            throw new UserError("cannot read " + file + ": " + e.getMessage());
        }
    }

    private void upload(URI origin, String token, Path file, String digest, long size) {
        URI blob = origin.resolve(BlobDigest.parse(digest).path());
        for (int attempt = 1; ; attempt++) {
            try {
                int claim = claim(origin, token, digest);
                if (claim == 200 || claim == 204) {
                    console.info(file.getFileName() + ": the origin already has " + digest
                            + (claim == 204 ? " (claimed for this build)" : ""));
                    return;
                }
                if (claim == 401 || claim == 403) {
                    throw new UserError("the origin refused the token (HTTP " + claim + ") for POST " + claimUri(origin, digest));
                }
                if (claim / 100 == 5) {
                    if (attempt == ATTEMPTS) {
                        throw new UserError("POST " + claimUri(origin, digest) + " failed: HTTP " + claim);
                    }
                    console.warn("POST " + claimUri(origin, digest) + " answered HTTP " + claim + "; retrying");
                    sleep(attempt);
                    continue;
                }
                // 404: not stored (an origin from before claims answers 404 too), so upload it; the upload claims it.
                console.info(file.getFileName() + ": uploading " + (size >> 20) + " MiB as " + digest);
                HttpRequest put = HttpRequest.newBuilder(blob)
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/octet-stream")
                        .PUT(HttpRequest.BodyPublishers.ofFile(file))
                        .build();
                HttpResponse<String> response = http.send(put, HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status / 100 == 2) {
                    return;
                }
                if (status == 401 || status == 403) {
                    throw new UserError("the origin refused the token (HTTP " + status + ") for PUT " + blob);
                }
                if (status / 100 == 4 || attempt == ATTEMPTS) {
                    throw new UserError("PUT " + blob + " failed: HTTP " + status + oneLine(response.body()));
                }
                console.warn("PUT " + blob + " answered HTTP " + status + "; retrying");
            } catch (IOException e) {
                if (attempt == ATTEMPTS) {
                    throw new UserError("cannot upload to " + origin + ": " + describe(e));
                }
                console.warn("upload to " + origin + " failed (" + describe(e) + "); retrying");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UserError("interrupted while uploading to " + origin);
            }
            sleep(attempt);
        }
    }

    /** Asks the origin to keep the blob for this build; its status: 204 claimed, 200 stored (the origin's own token), 404 not stored. */
    private int claim(URI origin, String token, String digest) throws IOException, InterruptedException {
        HttpRequest post = HttpRequest.newBuilder(claimUri(origin, digest))
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build();
        return http.send(post, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static URI claimUri(URI origin, String digest) {
        return origin.resolve("/claims/sha256/" + ContentDigest.hex(digest));
    }

    private static String oneLine(String body) {
        String text = body == null ? "" : body.strip().replaceAll("\\s+", " ");
        return text.isEmpty() ? "" : ": " + (text.length() > 200 ? text.substring(0, 200) + "..." : text);
    }

    private static String describe(IOException e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static void sleep(int attempt) {
        try {
            Thread.sleep(1000L * attempt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package dev.tether.image.format;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.jr.ob.JSON;
import com.fasterxml.jackson.jr.ob.JSON.Feature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code manifest.json}: what one build produced. Its own sha256 is the image digest, so it names
 * every artifact by digest and size and never holds a key. Unknown fields are ignored when reading,
 * so a newer builder's manifest still reads.
 *
 * <p>Bound with jackson-jr, not databind: the agent reads manifests, and databind's classes would stay in every
 * node's memory (issue #16). jackson-jr writes a record's components in their declared order, which the
 * annotations below repeat for anyone who binds the record with databind; {@code ManifestTest} holds the two to
 * the same bytes.
 *
 * @param squashfs digest and size of the plaintext squashfs inside the root image (no file of its own)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"formatVersion", "builder", "buildTime", "distribution", "release", "architecture",
        "kernelVersion", "compression", "kernel", "initramfs", "rootImage", "squashfs", "encryption"})
public record Manifest(
        int formatVersion,
        String builder,
        String buildTime,
        String distribution,
        String release,
        String architecture,
        String kernelVersion,
        String compression,
        Artifact kernel,
        Artifact initramfs,
        Artifact rootImage,
        Artifact squashfs,
        Encryption encryption) {

    public static final int FORMAT_VERSION = 1;
    public static final String FILE_NAME = "manifest.json";

    /** Pretty-printed as databind's {@code INDENT_OUTPUT}; nulls left out and unknown fields skipped by default. */
    private static final JSON JSON = com.fasterxml.jackson.jr.ob.JSON.std
            .with(Feature.PRETTY_PRINT_OUTPUT, Feature.WRITE_RECORD_FIELDS_IN_DECLARATION_ORDER);

    /** One file of the build, by name in the output directory, content digest and size. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"file", "digest", "size"})
    public record Artifact(String file, String digest, long size) {
    }

    /**
     * How the root image is sealed: the cipher, the key id (never the key) and the chunk size.
     *
     * @param headerDigest {@code sha256:<hex>} of the container's {@value ImageHeader#SIZE} header bytes, which
     *     the agent holds the edges' header to (see {@link RootImagePin}); null in manifests of imgutil before it
     * @param chunkHashes for an unencrypted image, {@link ChunkHashes#base64()} of every chunk's hash, which the agent
     *     holds each chunk to; null for an encrypted image and in manifests of imgutil before it
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"cipher", "keyId", "chunkSize", "chunkCount", "headerDigest", "chunkHashes"})
    public record Encryption(String cipher, String keyId, int chunkSize, long chunkCount, String headerDigest,
            String chunkHashes) {

        /** Without chunk hashes: an encrypted image's, whose chunks are bound by their tags. */
        public Encryption(String cipher, String keyId, int chunkSize, long chunkCount, String headerDigest) {
            this(cipher, keyId, chunkSize, chunkCount, headerDigest, null);
        }

        @JsonIgnore
        public boolean encrypted() {
            return ImageCipher.AES_256_GCM.displayName().equals(cipher);
        }
    }

    /** The published files by role, in upload order (the manifest itself goes after them). */
    @JsonIgnore
    public Map<String, Artifact> files() {
        Map<String, Artifact> files = new LinkedHashMap<>();
        files.put("kernel", kernel);
        files.put("initramfs", initramfs);
        files.put("rootImage", rootImage);
        return files;
    }

    public byte[] toJson() {
        try {
            return (JSON.asString(this) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("manifest did not serialise", e);
        }
    }

    public static Manifest parse(byte[] json) throws ImageFormatException {
        Manifest manifest;
        try {
            manifest = JSON.beanFrom(Manifest.class, json);
        } catch (JacksonException e) {
            throw new ImageFormatException("manifest is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ImageFormatException("manifest could not be read: " + e.getMessage(), e);
        }
        if (manifest.formatVersion() != FORMAT_VERSION) {
            throw new ImageFormatException("manifest format version " + manifest.formatVersion()
                    + " is not supported (this reader knows " + FORMAT_VERSION + ")");
        }
        for (Map.Entry<String, Artifact> file : manifest.files().entrySet()) {
            Artifact artifact = file.getValue();
            if (artifact == null || !isPlainFileName(artifact.file()) || !ContentDigest.isValid(artifact.digest())) {
                throw new ImageFormatException("manifest has no valid entry for " + file.getKey());
            }
        }
        return manifest;
    }

    public static Manifest read(Path file) throws IOException {
        return parse(Files.readAllBytes(file));
    }

    /** Artifact names are single names in the output directory; a path could point a reader elsewhere. */
    private static boolean isPlainFileName(String name) {
        return name != null && !name.isEmpty() && !name.contains("/") && !name.equals(".") && !name.equals("..");
    }
}

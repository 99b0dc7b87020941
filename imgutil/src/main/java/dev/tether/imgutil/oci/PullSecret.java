package dev.tether.imgutil.oci;

import dev.tether.imgutil.UserError;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Registry credentials for a pull: the contents of a Kubernetes pull Secret ({@code .dockerconfigjson},
 * or the older {@code .dockercfg}) or a docker {@code config.json}. They are checked, then written in the
 * one form skopeo reads to a file only this user can read, which exists only while the command runs.
 * Nothing of the contents ever reaches a message or the log: a parse error names the line, not the text.
 */
public final class PullSecret {
    /** The names a mounted Secret's keys take, in the order looked for. */
    static final List<String> KEYS = List.of(".dockerconfigjson", ".dockercfg", "config.json");

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final int MAX_BYTES = 1 << 20;

    private PullSecret() {
    }

    /** A private copy of the credentials for skopeo's {@code --authfile}; closing it deletes it. */
    public record AuthFile(Path path) implements AutoCloseable {
        @Override
        public void close() {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                throw new UserError("cannot remove the temporary credentials file " + path + ": " + e.getMessage());
            }
        }
    }

    /**
     * Checks the credentials at {@code source} (a file, or a directory where a Secret is mounted) and
     * writes them to a new private file in {@code privateDir}.
     */
    public static AuthFile open(Path source, Path privateDir) {
        Path file = locate(source);
        ObjectNode auths = read(file);
        try {
            Path copy = Files.createTempFile(privateDir, ".pull-secret-", ".json",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            ObjectNode config = JSON.createObjectNode();
            config.set("auths", auths);
            Files.write(copy, JSON.writeValueAsBytes(config), StandardOpenOption.TRUNCATE_EXISTING);
            return new AuthFile(copy);
        } catch (IOException e) {
            throw new UserError("cannot write the temporary credentials file in " + privateDir + ": " + e.getMessage());
        }
    }

    static Path locate(Path source) {
        if (Files.isDirectory(source)) {
            for (String key : KEYS) {
                if (Files.isRegularFile(source.resolve(key))) {
                    return source.resolve(key);
                }
            }
            throw new UserError("the pull secret " + source + " holds none of " + String.join(", ", KEYS)
                    + "; make it with: kubectl create secret docker-registry NAME --docker-server=REGISTRY"
                    + " --docker-username=USER --docker-password=PASSWORD");
        }
        if (!Files.isRegularFile(source)) {
            throw new UserError("the pull secret " + source + " does not exist");
        }
        return source;
    }

    /** The {@code auths} object, from either the current or the older (bare) layout. */
    static ObjectNode read(Path file) {
        JsonNode root;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new UserError("the pull secret " + file + " is over 1 MiB; it should be a docker config JSON");
            }
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            // The parser's own message quotes the text around the error, which may be a password.
            var where = e.getLocation();
            throw new UserError("the pull secret " + file + " is not valid JSON"
                    + (where == null ? "" : " (line " + where.getLineNr() + ")")
                    + "; it should be a docker config JSON like kubectl create secret docker-registry makes");
        } catch (IOException e) {
            throw new UserError("cannot read the pull secret " + file + ": " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new UserError("the pull secret " + file + " is not a JSON object; it should be a docker config JSON");
        }
        JsonNode auths = root.has("auths") ? root.get("auths") : root;
        if (!auths.isObject() || auths.isEmpty()) {
            throw new UserError("the pull secret " + file + " names no registry (its \"auths\" is empty or not an object)");
        }
        ObjectNode normalised = JSON.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            normalised.putObject(entry.getKey()).put("auth", auth(file, entry.getKey(), entry.getValue()));
        }
        return normalised;
    }

    /**
     * The entry's base64 USER:PASSWORD. skopeo reads only {@code auth}, while kubectl and some tools
     * write {@code username} and {@code password} beside it or instead of it.
     */
    private static String auth(Path file, String registry, JsonNode entry) {
        if (registry.isEmpty() || !registry.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new UserError("the pull secret " + file + " has a registry name that is empty or has spaces");
        }
        String where = "the pull secret " + file + ", entry for " + registry + ",";
        if (!entry.isObject()) {
            throw new UserError(where + " is not an object with auth or username and password");
        }
        JsonNode auth = entry.get("auth");
        if (auth != null) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(auth.asText()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new UserError(where + " has an auth that is not base64");
            }
            if (!auth.isTextual() || decoded.indexOf(':') <= 0) {
                throw new UserError(where + " has an auth that is not base64 of USER:PASSWORD");
            }
            return auth.asText();
        }
        if (!entry.path("username").isTextual() || !entry.path("password").isTextual()) {
            throw new UserError(where + " has neither auth nor username and password");
        }
        return Base64.getEncoder().encodeToString((entry.get("username").asText() + ":" + entry.get("password").asText())
                .getBytes(StandardCharsets.UTF_8));
    }
}

package dev.tether.imgutil.spec;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.imgutil.UserError;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The part of a DisklessImage spec that a builder Job needs, read from the JSON file the operator
 * mounts. Kept here rather than shared with the API model so that imgutil runs without it; unknown
 * fields (builder resources, fields added later) are ignored.
 *
 * @param repositories each a sources.list line or a URL (Debian family), or a baseurl (RHEL family);
 *     an object with {@code url}, {@code suite} and {@code components} is accepted too
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ImageSpec(String distribution, String release, String architecture, List<String> packages,
        List<JsonNode> repositories, List<Step> steps, List<FileEntry> files, String compression, String encryption,
        String chunkSize, String mirror, Source source) {

    /** The component of an extra Debian-family repository whose entry names none. */
    static final String DEFAULT_COMPONENT = "main";

    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public ImageSpec {
        packages = packages == null ? List.of() : List.copyOf(packages);
        repositories = repositories == null ? List.of() : List.copyOf(repositories);
        steps = steps == null ? List.of() : List.copyOf(steps);
        files = files == null ? List.of() : List.copyOf(files);
    }

    /** One customisation step: a shell command run inside the image as under {@code imgutil exec}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Step(String name, String run) {
    }

    /**
     * For distribution oci: the image to start from. The pull Secret is named here for the operator, which
     * mounts it; imgutil reads the mounted credentials from {@code --pull-secret}.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Source(String image, String pullSecret, boolean insecure) {
    }

    /** A file written into the image; mode is octal text such as {@code "0644"}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record FileEntry(String path, String content, String mode) {
    }

    public static ImageSpec read(Path file) {
        try {
            ImageSpec spec = JSON.readValue(file.toFile(), ImageSpec.class);
            if (spec.distribution() == null) {
                throw new UserError("image spec " + file + " needs a distribution");
            }
            if ("oci".equals(spec.distribution())) {
                if (spec.source() == null || spec.source().image() == null) {
                    throw new UserError("image spec " + file + " has distribution oci but no source.image");
                }
            } else if (spec.release() == null) {
                throw new UserError("image spec " + file + " needs a release for distribution " + spec.distribution());
            }
            return spec;
        } catch (IOException e) {
            throw new UserError("cannot read the image spec " + file + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** Encryption is on unless the spec says {@code disabled}. */
    public boolean encrypted() {
        return encryption == null || !encryption.equalsIgnoreCase("disabled");
    }

    /** The signing keys the repositories name ({@code gpgKey}), for the RHEL family's dnf. */
    public List<String> gpgKeys() {
        return repositories.stream().filter(repository -> repository.hasNonNull("gpgKey"))
                .map(repository -> repository.get("gpgKey").asText()).distinct().toList();
    }

    public List<String> repositoryLines() {
        List<String> lines = new ArrayList<>();
        for (JsonNode repository : repositories) {
            if (repository.isTextual()) {
                lines.add(repository.asText());
            } else if (repository.hasNonNull("url")) {
                String suite = repository.path("suite").asText(release);
                String components = repository.path("components").isArray()
                        ? String.join(" ", JSON.convertValue(repository.get("components"), String[].class))
                        : repository.path("components").asText("");
                // The operator writes a repository given without components with an empty list, and apt refuses a
                // line without one, so it gets main, as a bare URL does; except a flat repository (its suite is a
                // path ending in /), which has no components and whose line must name none.
                boolean flat = suite.endsWith("/");
                components = components.isBlank() && !flat ? DEFAULT_COMPONENT : components;
                lines.add(distribution.equals("rhel-family") ? repository.get("url").asText()
                        : ("deb " + repository.get("url").asText() + " " + suite + " " + components).strip());
            } else {
                throw new UserError("repository entry " + repository + " has no url");
            }
        }
        return lines;
    }
}

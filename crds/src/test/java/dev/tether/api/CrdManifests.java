package dev.tether.api;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import dev.tether.api.v1alpha1.DiscoveredNode;
import dev.tether.api.v1alpha1.DisklessImage;
import dev.tether.api.v1alpha1.NodeCredential;
import dev.tether.api.v1alpha1.NodeProfile;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.ParameterizedType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Generates the CRD YAML of the Tether resources with Fabric8's CRD generator. Field descriptions come from the
 * model's {@code @JsonPropertyDescription}s. The generator sorts printer columns by JSON path; we put them back in
 * the order the classes declare them, so {@code kubectl get} shows Phase before Age. It reads no class descriptions and
 * has no annotation for two schema facts, which {@link SchemaConventions} adds: {@code conditions} lists are maps keyed by
 * {@code type}, and timestamps are {@code date-time}s.
 */
public final class CrdManifests {
    public static final List<Class<? extends HasMetadata>> RESOURCES =
            List.of(DisklessImage.class, NodeProfile.class, NodeCredential.class, DiscoveredNode.class);

    /** Where the committed YAML lives, relative to the repository root. */
    public static final String COMMITTED_DIR = "crds";

    private CrdManifests() {}

    /** File name to YAML text, one entry per resource, e.g. {@code disklessimages.tether.dev-v1.yml}. */
    public static Map<String, String> generate() {
        var output = new InMemoryOutput();
        new CRDGenerator()
                .customResourceClasses(RESOURCES)
                .forCRDVersions("v1")
                // The generator keeps one post-processor, the last one given: SchemaConventions runs the other.
                .withPostProcessor(new SchemaConventions())
                .withOutput(output)
                .generate();
        var files = new TreeMap<String, String>();
        // Each file starts a YAML document, so that concatenations of them (helm show crds) stay valid.
        output.streams().forEach((name, bytes) -> files.put(name + ".yml", "---\n" + bytes.toString(StandardCharsets.UTF_8)));
        return files;
    }

    /** The repository root, found from the module directory that Maven runs tests in. */
    public static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("mvnw"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("cannot find the repository root (no mvnw above " + Path.of("").toAbsolutePath() + ")");
        }
        return dir;
    }

    /** Writes the generated YAML over the committed copy: {@code ./mvnw -pl crds test -Dtether.writeCrds}. */
    public static void write(Path dir) {
        try {
            Files.createDirectories(dir);
            for (var file : generate().entrySet()) {
                Files.writeString(dir.resolve(file.getKey()), file.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final class DeclaredColumnOrder implements io.fabric8.crdv2.generator.CRDPostProcessor {
        @Override
        public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
            var definition = (CustomResourceDefinition) crd;
            var kind = definition.getSpec().getNames().getKind();
            var declared = RESOURCES.stream()
                    .filter(type -> type.getSimpleName().equals(kind))
                    .findFirst()
                    .map(type -> Arrays.stream(type.getAnnotationsByType(AdditionalPrinterColumn.class))
                            .map(AdditionalPrinterColumn::name)
                            .toList())
                    .orElse(List.of());
            for (var version : definition.getSpec().getVersions()) {
                var columns = new java.util.ArrayList<>(version.getAdditionalPrinterColumns());
                columns.sort(Comparator.comparingInt((CustomResourceColumnDefinition column) -> declared.indexOf(column.getName())));
                version.setAdditionalPrinterColumns(columns);
            }
            return crd;
        }
    }

    /**
     * A property named {@code conditions} holding a list of objects is a list-map keyed by {@code type} (each type at
     * most once, and server-side apply merges by type); a string property whose name ends in {@code At},
     * {@code Time}, {@code Until}, {@code After} or {@code Before} is an RFC 3339 {@code date-time} (the model writes
     * them with {@code Instant.toString()}).
     */
    static final class SchemaConventions implements io.fabric8.crdv2.generator.CRDPostProcessor {
        private static final java.util.regex.Pattern TIMESTAMP = java.util.regex.Pattern.compile(".*(At|Time|Until|After|Before)$");

        @Override
        public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
            new DeclaredColumnOrder().process(crd, crdSpecVersion);
            var definition = (CustomResourceDefinition) crd;
            for (var version : definition.getSpec().getVersions()) {
                describeKind(definition.getSpec().getNames().getKind(), version.getSchema().getOpenAPIV3Schema());
                visit(null, version.getSchema().getOpenAPIV3Schema());
            }
            return crd;
        }

        /**
         * The generator reads descriptions of fields only. What {@code kubectl explain <kind>} (and its spec and status)
         * print comes from the {@code @JsonClassDescription} of the resource class and of its spec and status classes.
         */
        private static void describeKind(String kind, JSONSchemaProps schema) {
            var type = RESOURCES.stream().filter(resource -> resource.getSimpleName().equals(kind)).findFirst().orElseThrow();
            schema.setDescription(classDescription(type));
            var parts = ((ParameterizedType) type.getGenericSuperclass()).getActualTypeArguments();
            schema.getProperties().get("spec").setDescription(classDescription((Class<?>) parts[0]));
            schema.getProperties().get("status").setDescription(classDescription((Class<?>) parts[1]));
        }

        private static String classDescription(Class<?> type) {
            var description = type.getAnnotation(JsonClassDescription.class);
            return description == null ? null : description.value();
        }

        private static void visit(String name, JSONSchemaProps schema) {
            if (schema == null) {
                return;
            }
            if ("conditions".equals(name) && "array".equals(schema.getType())) {
                schema.setXKubernetesListType("map");
                schema.setXKubernetesListMapKeys(List.of("type"));
            }
            if (name != null && "string".equals(schema.getType()) && schema.getFormat() == null && TIMESTAMP.matcher(name).matches()) {
                schema.setFormat("date-time");
            }
            if (schema.getProperties() != null) {
                schema.getProperties().forEach(SchemaConventions::visit);
            }
            if (schema.getItems() != null) {
                visit(null, schema.getItems().getSchema());
            }
        }
    }

    private static final class InMemoryOutput extends CRDGenerator.AbstractCRDOutput<ByteArrayOutputStream> {
        private final Map<String, ByteArrayOutputStream> streams = new TreeMap<>();

        @Override
        protected ByteArrayOutputStream createStreamFor(String crdName) {
            var stream = new ByteArrayOutputStream();
            streams.put(crdName, stream);
            return stream;
        }

        Map<String, ByteArrayOutputStream> streams() {
            return streams;
        }
    }
}

package dev.tether.helm;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.regex.Pattern;

/** The objects of one {@code helm template} run, typed by Fabric8. */
final class RenderedChart {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final Pattern DOCUMENT_SEPARATOR = Pattern.compile("(?m)^---\\s*$");

    private final String yaml;
    private final List<HasMetadata> objects;

    RenderedChart(String yaml) {
        this.yaml = yaml;
        this.objects = Arrays.stream(DOCUMENT_SEPARATOR.split(yaml))
                .filter(RenderedChart::hasContent)
                .map(document -> SERIALIZATION.unmarshal(document, HasMetadata.class))
                .toList();
    }

    /** Helm's own text, for failure messages. */
    String yaml() {
        return yaml;
    }

    List<HasMetadata> objects() {
        return objects;
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> T one(Class<T> type, String name) {
        return all(type).stream()
                .filter(o -> name.equals(o.getMetadata().getName()))
                .findFirst()
                .orElseThrow(() -> new NoSuchElementException(
                        "no " + type.getSimpleName() + " named " + name + " in the rendered chart; rendered: " + names()));
    }

    private List<String> names() {
        return objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()).toList();
    }

    /** A document holding only comments (a template whose condition was false) is not an object. */
    private static boolean hasContent(String document) {
        return document.lines().map(String::strip).anyMatch(line -> !line.isEmpty() && !line.startsWith("#"));
    }
}

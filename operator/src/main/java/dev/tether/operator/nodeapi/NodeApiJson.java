package dev.tether.operator.nodeapi;

import dev.tether.nodeapi.NodeApi;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;

/**
 * Request bodies parsed strictly into the wire records: one JSON document, no duplicate keys, no
 * unknown fields (except where a record itself allows them for newer agents), no coercion of scalars,
 * bounded nesting and strings. A refusal names the field and position, never the text that was sent,
 * which could be a key.
 */
final class NodeApiJson {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .disable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(8)
                .maxStringLength(NodeApi.MAX_BODY_BYTES)
                .maxNumberLength(20)
                .maxDocumentLength(NodeApi.MAX_BODY_BYTES)
                .build());
    }

    private NodeApiJson() {}

    static <T> T read(byte[] body, Class<T> type, String code) throws Refusal {
        if (body.length == 0) {
            throw Refusal.badRequest(code, "the request needs a JSON body (" + type.getSimpleName() + ")");
        }
        try (JsonParser parser = MAPPER.createParser(body)) {
            T value = MAPPER.readValue(parser, type);
            if (value == null) {
                throw Refusal.badRequest(code, "the body is JSON null; send a " + type.getSimpleName() + " object");
            }
            return value;
        } catch (UnrecognizedPropertyException e) {
            throw Refusal.badRequest(code, "unknown field " + quoted(e.getPropertyName()) + " in " + type.getSimpleName()
                    + "; the fields are " + e.getKnownPropertyIds());
        } catch (JsonMappingException e) {
            throw Refusal.badRequest(code, "the body does not fit " + type.getSimpleName() + path(e) + at(e));
        } catch (JsonProcessingException e) {
            throw Refusal.badRequest(code, "the body is not valid JSON" + at(e));
        } catch (IOException e) {
            throw Refusal.badRequest(code, "the body could not be read as JSON");
        }
    }

    static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    private static String path(JsonMappingException e) {
        var fields = e.getPath().stream()
                .map(r -> r.getFieldName() != null ? safe(r.getFieldName()) : "[" + r.getIndex() + "]")
                .toList();
        return fields.isEmpty() ? "" : " at " + String.join(".", fields).replace(".[", "[");
    }

    private static String at(JsonProcessingException e) {
        var location = e.getLocation();
        return location == null ? "" : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }

    private static String quoted(String name) {
        return "'" + safe(name) + "'";
    }

    /** Field names are the sender's text: keep them short and printable. */
    private static String safe(String name) {
        String printable = name == null ? "" : name.replaceAll("[^A-Za-z0-9_.-]", "?");
        return printable.length() > 40 ? printable.substring(0, 40) + "..." : printable;
    }
}

package dev.tether.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.types.SimpleType;
import dev.cel.parser.CelStandardMacro;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Validates a resource the way the API server would with a generated CRD, since the Fabric8 mock
 * server validates nothing: defaults are applied, the OpenAPI schema (types, enums, patterns, bounds,
 * required) is checked with a JSON-schema validator, and every {@code x-kubernetes-validations} CEL
 * rule is evaluated with {@code self} bound to the value it sits on.
 */
public final class SchemaValidator {
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final Cel CEL = CelFactory.standardCelBuilder()
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addVar("self", SimpleType.DYN)
            .setResultType(SimpleType.BOOL)
            .build();

    private final JsonNode openApiSchema;
    private final JsonSchema jsonSchema;

    private SchemaValidator(JsonNode openApiSchema) {
        this.openApiSchema = openApiSchema;
        this.jsonSchema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(openApiSchema);
    }

    /** A validator for the first version of the CRD whose YAML text is given. */
    public static SchemaValidator forCrd(String crdYaml) {
        try {
            JsonNode crd = YAML.readTree(crdYaml);
            return new SchemaValidator(crd.at("/spec/versions/0/schema/openAPIV3Schema"));
        } catch (Exception e) {
            throw new IllegalArgumentException("not a CRD: " + e.getMessage(), e);
        }
    }

    /** The errors the API server would answer with; empty when the resource is accepted. */
    public List<String> validate(String resourceYaml) {
        try {
            JsonNode resource = YAML.readTree(resourceYaml);
            applyDefaults(openApiSchema, resource);
            var errors = new ArrayList<String>();
            for (ValidationMessage message : jsonSchema.validate(resource)) {
                errors.add(message.getMessage());
            }
            if (errors.isEmpty()) {
                evaluateRules(openApiSchema, resource, "", errors);
            }
            return errors;
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot validate: " + e.getMessage(), e);
        }
    }

    private static void applyDefaults(JsonNode schema, JsonNode value) {
        if (value instanceof ObjectNode object) {
            JsonNode properties = schema.path("properties");
            for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
                var property = it.next();
                if (!object.has(property.getKey()) && property.getValue().has("default")) {
                    object.set(property.getKey(), property.getValue().get("default").deepCopy());
                }
                if (object.has(property.getKey())) {
                    applyDefaults(property.getValue(), object.get(property.getKey()));
                }
            }
        } else if (value != null && value.isArray() && schema.has("items")) {
            value.forEach(item -> applyDefaults(schema.get("items"), item));
        }
    }

    private static void evaluateRules(JsonNode schema, JsonNode value, String path, List<String> errors) throws Exception {
        for (JsonNode rule : schema.path("x-kubernetes-validations")) {
            Object self = toCelValue(value);
            var program = CEL.createProgram(CEL.compile(rule.get("rule").asText()).getAst());
            Object result = program.eval(Map.of("self", self));
            if (!Boolean.TRUE.equals(result)) {
                errors.add((path.isEmpty() ? "<root>" : path) + ": " + rule.path("message").asText(rule.get("rule").asText()));
            }
        }
        if (value.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = schema.path("properties").fields(); it.hasNext(); ) {
                var property = it.next();
                if (value.has(property.getKey())) {
                    evaluateRules(property.getValue(), value.get(property.getKey()), path + "." + property.getKey(), errors);
                }
            }
        } else if (value.isArray() && schema.has("items")) {
            for (int i = 0; i < value.size(); i++) {
                evaluateRules(schema.get("items"), value.get(i), path + "[" + i + "]", errors);
            }
        }
    }

    /** CEL sees JSON as maps, lists, int64, double, string and bool. */
    private static Object toCelValue(JsonNode node) {
        if (node.isObject()) {
            var map = new LinkedHashMap<String, Object>();
            node.fields().forEachRemaining(e -> map.put(e.getKey(), toCelValue(e.getValue())));
            return map;
        }
        if (node.isArray()) {
            var list = new ArrayList<Object>();
            node.forEach(item -> list.add(toCelValue(item)));
            return list;
        }
        if (node.isIntegralNumber()) {
            return node.asLong();
        }
        if (node.isNumber()) {
            return node.asDouble();
        }
        if (node.isBoolean()) {
            return node.asBoolean();
        }
        return node.asText();
    }
}

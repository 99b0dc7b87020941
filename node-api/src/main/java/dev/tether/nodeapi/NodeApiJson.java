package dev.tether.nodeapi;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.jr.ob.JSON;
import com.fasterxml.jackson.jr.ob.JSON.Feature;
import com.fasterxml.jackson.jr.ob.JSONObjectException;
import com.fasterxml.jackson.jr.ob.api.ReaderWriterProvider;
import com.fasterxml.jackson.jr.ob.api.ValueReader;
import com.fasterxml.jackson.jr.ob.api.ValueWriter;
import com.fasterxml.jackson.jr.ob.impl.JSONReader;
import com.fasterxml.jackson.jr.ob.impl.JSONWriter;
import java.io.IOException;

/**
 * The JSON binding of the node side: the agent's node API bodies and its own small files, with jackson-jr.
 *
 * <p>The operator reads and writes the same records with Jackson's databind, following their annotations. The agent
 * does not carry databind: its 550 classes were the largest part of the agent's class metadata, which a running
 * node keeps for its whole life (issue #16). jackson-jr binds records by their components, so the annotations'
 * rules are restated here where they differ from its defaults, and {@code NodeApiJsonTest} holds both bindings to
 * the same JSON for every wire type:
 * <ul>
 *   <li>{@code @JsonInclude(NON_NULL)}: jackson-jr leaves nulls out by default;</li>
 *   <li>{@code @JsonIgnoreProperties(ignoreUnknown = true)}: jackson-jr skips unknown properties by default, on
 *       every type (an answer from a newer operator still reads);</li>
 *   <li>enum constants named in lower case ({@code @JsonProperty("pending")}): jackson-jr reads and writes an enum by
 *       its {@code toString()}, which such an enum overrides to say the same;</li>
 *   <li>{@link BootFiles.File} as {@code [directory, name]} ({@code @JsonFormat(shape = ARRAY)}): the reader and
 *       writer below;</li>
 *   <li>an object or array where a string belongs is refused, as databind does (jackson-jr would read it as null).</li>
 * </ul>
 * A null component and an absent one are the same to both readers; databind writes the nulls of a record without
 * {@code NON_NULL}, jackson-jr never does. One difference is kept: a primitive component missing from an answer is an
 * error here, where databind would read 0 (a persistence generation of 0 is a wrong answer, not a default). So a
 * component added to a record later is boxed and may be null, as {@link BootReport.Fetch#usefulBytes()} is.
 * The parser's own limits (nesting, number and string lengths) are jackson-core's, as with databind.
 */
public final class NodeApiJson {
    /** Thread-safe and immutable, as jackson-jr's {@code JSON} is. */
    public static final JSON JSON = com.fasterxml.jackson.jr.ob.JSON.std.with(Feature.WRITE_RECORD_FIELDS_IN_DECLARATION_ORDER)
            .with(new WireShapes());

    private NodeApiJson() {
    }

    /** The wire types whose JSON is not a record's object of its components. */
    private static final class WireShapes extends ReaderWriterProvider {
        @Override
        public ValueWriter findValueWriter(JSONWriter writer, Class<?> type) {
            return type == BootFiles.File.class ? FILE_AS_ARRAY : null;
        }

        @Override
        public ValueReader findValueReader(JSONReader reader, Class<?> type) {
            if (type == String.class) {
                return STRICT_STRING;
            }
            return type == BootFiles.File.class ? FILE_FROM_ARRAY : null;
        }
    }

    /**
     * A string, or a number or boolean as its text (databind coerces those too); jackson-jr's own reader would bind an
     * object or array given for a string as null, where databind refuses it.
     */
    private static final ValueReader STRICT_STRING = new ValueReader(String.class) {
        @Override
        public Object read(JSONReader reader, JsonParser p) throws IOException {
            JsonToken token = p.currentToken();
            if (token == JsonToken.VALUE_NULL) {
                return null;
            }
            if (token == null || !token.isScalarValue()) {
                throw JSONObjectException.from(p, "expected a string, found " + (token == null ? "nothing" : token.asString()));
            }
            return p.getText();
        }
    };

    private static final ValueWriter FILE_AS_ARRAY = new ValueWriter() {
        @Override
        public void writeValue(JSONWriter context, JsonGenerator g, Object value) throws IOException {
            BootFiles.File file = (BootFiles.File) value;
            g.writeStartArray();
            g.writeNumber(file.directory());
            g.writeString(file.name());
            g.writeEndArray();
        }

        @Override
        public Class<?> valueType() {
            return BootFiles.File.class;
        }
    };

    private static final ValueReader FILE_FROM_ARRAY = new ValueReader(BootFiles.File.class) {
        @Override
        public Object read(JSONReader reader, JsonParser p) throws IOException {
            if (p.currentToken() != JsonToken.START_ARRAY || p.nextToken() != JsonToken.VALUE_NUMBER_INT) {
                throw JSONObjectException.from(p, "a boot file is [directory index, name]");
            }
            int directory = p.getIntValue();
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw JSONObjectException.from(p, "a boot file is [directory index, name]");
            }
            String name = p.getText();
            if (p.nextToken() != JsonToken.END_ARRAY) {
                throw JSONObjectException.from(p, "a boot file is [directory index, name], nothing more");
            }
            return new BootFiles.File(directory, name);
        }
    };
}

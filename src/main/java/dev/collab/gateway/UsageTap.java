package dev.collab.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads token usage from a provider response while it streams past, holding at most one SSE line (bounded) or the
 * state of a non-blocking JSON parser, never the response: every chunk goes to the client before or regardless of
 * what is read here. SSE: {@code message_start} (model, input and cache tokens) and {@code message_delta} (cumulative
 * output tokens). JSON: the top-level {@code model} and {@code usage}.
 */
abstract class UsageTap {
    static final int MAX_SSE_LINE = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonFactory FACTORY = new JsonFactory();

    String model;
    long input;
    long output;
    long cacheRead;
    long cacheWrite;
    boolean seen;

    static UsageTap forContentType(String contentType) {
        String type = contentType == null ? "" : contentType.toLowerCase(java.util.Locale.ROOT);
        if (type.startsWith("text/event-stream")) {
            return new Sse();
        }
        if (type.startsWith("application/json")) {
            return new Json();
        }
        return new None();
    }

    abstract void feed(Buffer chunk);

    /** What the response reported, or null when it carried no usage. */
    Usage result() {
        return seen ? new Usage(model == null ? "unknown" : model, input, output, cacheRead, cacheWrite) : null;
    }

    void usage(JsonNode usage) {
        if (!usage.isObject()) {
            return;
        }
        seen = true;
        // message_delta carries cumulative counts: the largest value seen is the total
        input = Math.max(input, usage.path("input_tokens").asLong(0));
        output = Math.max(output, usage.path("output_tokens").asLong(0));
        cacheRead = Math.max(cacheRead, usage.path("cache_read_input_tokens").asLong(0));
        cacheWrite =
                Math.max(cacheWrite, usage.path("cache_creation_input_tokens").asLong(0));
    }

    private static final class None extends UsageTap {
        @Override
        void feed(Buffer chunk) {}
    }

    /** Splits the stream into lines; parses only data lines of message_start and message_delta events. */
    private static final class Sse extends UsageTap {
        private final LineBuffer line = new LineBuffer();
        private boolean overlong;

        @Override
        void feed(Buffer chunk) {
            byte[] bytes = chunk.getBytes();
            int start = 0;
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    append(bytes, start, i - start);
                    endLine();
                    start = i + 1;
                }
            }
            append(bytes, start, bytes.length - start);
        }

        private void append(byte[] bytes, int from, int length) {
            if (overlong || length == 0) {
                return;
            }
            if (line.size() + length > MAX_SSE_LINE) {
                overlong = true; // a huge content delta: carries no usage, skip to the next line
                line.reset();
                return;
            }
            line.write(bytes, from, length);
        }

        private void endLine() {
            if (!overlong && line.size() > 5 && line.startsWithData()) { // event: and id: lines are not decoded
                String text = line.toString(StandardCharsets.UTF_8);
                if (text.startsWith("data:")
                        && (text.contains("\"message_start\"") || text.contains("\"message_delta\""))) {
                    parse(text.substring(5).trim());
                }
            }
            line.reset();
            overlong = false;
        }

        private void parse(String data) {
            try {
                JsonNode event = JSON.readTree(data);
                String type = event.path("type").asText();
                if ("message_start".equals(type)) {
                    JsonNode message = event.path("message");
                    if (message.path("model").isTextual()) {
                        model = message.path("model").asText();
                    }
                    usage(message.path("usage"));
                } else if ("message_delta".equals(type)) {
                    usage(event.path("usage"));
                }
            } catch (IOException e) {
                // not JSON: nothing to count
            }
        }
    }

    /** One SSE line's bytes; says whether it is a data line without decoding it. */
    private static final class LineBuffer extends ByteArrayOutputStream {
        private static final byte[] DATA = "data:".getBytes(StandardCharsets.US_ASCII);

        LineBuffer() {
            super(256);
        }

        boolean startsWithData() {
            if (count < DATA.length) {
                return false;
            }
            for (int i = 0; i < DATA.length; i++) {
                if (buf[i] != DATA[i]) {
                    return false;
                }
            }
            return true;
        }
    }

    /** A non-blocking Jackson parser fed chunk by chunk; reads the top-level "model" and "usage" members. */
    private static final class Json extends UsageTap {
        private JsonParser parser;
        private int depth;
        private String field;
        private JsonNodeBuilder usageBuilder;

        Json() {
            try {
                parser = FACTORY.createNonBlockingByteArrayParser();
            } catch (IOException e) {
                parser = null;
            }
        }

        @Override
        void feed(Buffer chunk) {
            if (parser == null) {
                return;
            }
            byte[] bytes = chunk.getBytes();
            try {
                ((ByteArrayFeeder) parser.getNonBlockingInputFeeder()).feedInput(bytes, 0, bytes.length);
                JsonToken token;
                while ((token = parser.nextToken()) != null && token != JsonToken.NOT_AVAILABLE) {
                    onToken(token);
                }
            } catch (IOException e) {
                close();
                parser = null; // not JSON after all: stop reading, the client still gets every byte
            }
        }

        /**
         * Closing the parser merges the field names it met into the factory's shared symbol table; an unclosed
         * parser makes the next response canonicalize and intern the same names again (profiled: most of the
         * tap's CPU).
         */
        @Override
        Usage result() {
            close();
            return super.result();
        }

        private void close() {
            if (parser != null) {
                try {
                    parser.close();
                } catch (IOException e) {
                    // nothing held but memory
                }
            }
        }

        private void onToken(JsonToken token) throws IOException {
            switch (token) {
                case START_OBJECT, START_ARRAY -> {
                    depth++;
                    if (depth == 2 && "usage".equals(field) && token == JsonToken.START_OBJECT) {
                        usageBuilder = new JsonNodeBuilder();
                    }
                }
                case END_OBJECT, END_ARRAY -> {
                    if (depth == 2 && usageBuilder != null) {
                        usage(usageBuilder.node);
                        usageBuilder = null;
                    }
                    depth--;
                }
                case FIELD_NAME -> {
                    if (depth == 1) {
                        field = parser.currentName();
                    } else if (depth == 2 && usageBuilder != null) {
                        usageBuilder.field = parser.currentName();
                    }
                }
                case VALUE_STRING -> {
                    if (depth == 1 && "model".equals(field)) {
                        model = parser.getText();
                    }
                }
                case VALUE_NUMBER_INT -> {
                    if (depth == 2 && usageBuilder != null && usageBuilder.field != null) {
                        usageBuilder.node.put(usageBuilder.field, parser.getLongValue());
                    }
                }
                default -> {}
            }
        }

        private static final class JsonNodeBuilder {
            final com.fasterxml.jackson.databind.node.ObjectNode node = JSON.createObjectNode();
            String field;
        }
    }
}

package dev.collab.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.yaml.snakeyaml.Yaml;

/**
 * docs/openapi.yaml read for tests: operations by path and method, and a validator for the part of JSON Schema the
 * document uses (type, required, properties, items, enum, const, $ref). SnakeYAML (Jackson YAML's parser) reads it
 * because the document shares operations through YAML anchors.
 */
final class OpenApiDocument {
    static final Path FILE = Path.of("docs/openapi.yaml");
    static final Set<String> METHODS = Set.of("get", "head", "options", "post", "put", "patch", "delete");

    final JsonNode root;

    private OpenApiDocument(JsonNode root) {
        this.root = root;
    }

    static OpenApiDocument committed() {
        try {
            Object yaml = new Yaml().load(Files.readString(FILE));
            return new OpenApiDocument(new ObjectMapper().valueToTree(yaml));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** "METHOD /path" of every operation. */
    Set<String> operations() {
        Set<String> out = new TreeSet<>();
        root.path("paths")
                .fields()
                .forEachRemaining(p -> p.getValue().fieldNames().forEachRemaining(m -> {
                    if (METHODS.contains(m)) {
                        out.add(m.toUpperCase(Locale.ROOT) + " " + p.getKey());
                    }
                }));
        return out;
    }

    JsonNode operation(String method, String path) {
        return root.path("paths").path(path).path(method.toLowerCase(Locale.ROOT));
    }

    /** The documented response of that status (after $ref), or a missing node. */
    JsonNode response(String method, String path, int status) {
        return resolve(operation(method, path).path("responses").path(Integer.toString(status)));
    }

    /** The JSON schema of that response's application/json content, or null when it has none. */
    JsonNode jsonSchema(JsonNode response) {
        JsonNode schema = response.path("content").path("application/json").path("schema");
        return schema.isMissingNode() ? null : resolve(schema);
    }

    JsonNode resolve(JsonNode node) {
        while (node.has("$ref")) {
            String ref = node.get("$ref").asText();
            JsonNode target = root;
            for (String part : ref.substring(2).split("/")) {
                target = target.path(part);
            }
            node = target;
        }
        return node;
    }

    /** What in {@code value} does not fit {@code schema} (empty: it fits). */
    List<String> violations(JsonNode schema, JsonNode value, String at) {
        List<String> out = new ArrayList<>();
        schema = resolve(schema);
        JsonNode type = schema.get("type");
        if (type != null) {
            List<String> types = new ArrayList<>();
            if (type.isArray()) {
                type.forEach(t -> types.add(t.asText()));
            } else {
                types.add(type.asText());
            }
            if (types.stream().noneMatch(t -> fits(t, value))) {
                out.add(at + ": " + value + " is not " + types);
                return out;
            }
        }
        for (JsonNode part : schema.path("allOf")) {
            out.addAll(violations(part, value, at));
        }
        if (schema.has("const") && !schema.get("const").equals(value)) {
            out.add(at + ": " + value + " is not " + schema.get("const"));
        }
        if (schema.has("enum")) {
            boolean listed = false;
            for (JsonNode e : schema.get("enum")) {
                listed |= e.equals(value);
            }
            if (!listed) {
                out.add(at + ": " + value + " is not one of " + schema.get("enum"));
            }
        }
        if (value.isObject()) {
            for (JsonNode r : schema.path("required")) {
                if (!value.has(r.asText())) {
                    out.add(at + ": missing " + r.asText());
                }
            }
            for (Iterator<Map.Entry<String, JsonNode>> it =
                            schema.path("properties").fields();
                    it.hasNext(); ) {
                Map.Entry<String, JsonNode> p = it.next();
                if (value.has(p.getKey())) {
                    out.addAll(violations(p.getValue(), value.get(p.getKey()), at + "." + p.getKey()));
                }
            }
        }
        if (value.isArray() && schema.has("items")) {
            for (int i = 0; i < value.size(); i++) {
                out.addAll(violations(schema.get("items"), value.get(i), at + "[" + i + "]"));
            }
        }
        return out;
    }

    private static boolean fits(String type, JsonNode v) {
        return switch (type) {
            case "string" -> v.isTextual();
            case "integer" -> v.isIntegralNumber();
            case "number" -> v.isNumber();
            case "boolean" -> v.isBoolean();
            case "object" -> v.isObject();
            case "array" -> v.isArray();
            case "null" -> v.isNull();
            default -> false;
        };
    }

    /** Vert.x route paths in OpenAPI form: {@code :name} is {@code {name}}, a trailing {@code *} is {@code {path}}. */
    static String openApiPath(String vertxPath) {
        String p = vertxPath.replaceAll(":([A-Za-z0-9_]+)", "{$1}");
        return p.endsWith("/*") ? p.substring(0, p.length() - 1) + "{path}" : p;
    }

    static Map<String, Set<String>> byPath(Set<String> operations) {
        Map<String, Set<String>> out = new TreeMap<>();
        for (String op : operations) {
            String[] mp = op.split(" ", 2);
            out.computeIfAbsent(mp[1], k -> new TreeSet<>()).add(mp[0]);
        }
        return out;
    }
}

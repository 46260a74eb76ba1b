package dev.collab.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/** Response hook: replaces secret values in the JSON of opencode's config and provider reads. */
final class SecretRedaction implements ResponseTransform {
    static final String REDACTED = "[redacted]";
    private static final Set<String> REDACTED_FIELDS = Set.of("key", "access", "refresh", "apiKey");

    private final ObjectMapper mapper = new ObjectMapper();

    /** GET /config/providers (and GET /config, which can carry provider options with an apiKey) are redacted. */
    @Override
    public boolean appliesTo(HttpMethod method, String path) {
        if (method != HttpMethod.GET) {
            return false;
        }
        if (path.endsWith("/") && path.length() > 1) {
            path = path.substring(0, path.length() - 1);
        }
        return path.equals("/config/providers") || path.equals("/config");
    }

    @Override
    public Buffer transform(Buffer body) throws Exception {
        JsonNode node = mapper.readTree(body.getBytes());
        redactSecrets(node);
        return Buffer.buffer(mapper.writeValueAsBytes(node));
    }

    @Override
    public String failure() {
        return "session answered /config/providers with something that is not JSON";
    }

    /** Replaces the string values of secret fields anywhere in the tree. */
    static void redactSecrets(JsonNode node) {
        if (node instanceof ObjectNode obj) {
            Iterator<Map.Entry<String, JsonNode>> fields = obj.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                if (REDACTED_FIELDS.contains(f.getKey()) && f.getValue().isValueNode() && !f.getValue().isNull()) {
                    f.setValue(TextNode.valueOf(REDACTED));
                } else {
                    redactSecrets(f.getValue());
                }
            }
        } else if (node instanceof ArrayNode arr) {
            arr.forEach(SecretRedaction::redactSecrets);
        }
    }
}

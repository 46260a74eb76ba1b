package dev.collab.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Pure: the secret values a credential Secret holds, found by the rule {@link SecretRedaction} applies to JSON (values
 * of credential-like fields, every value inside {@code headers} and {@code environment} objects), in each of its
 * files. They are what {@link StreamRedactor} removes from a session's streams.
 */
final class SecretValues {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SecretValues() {}

    static List<String> of(Secret secret) {
        List<String> values = new ArrayList<>();
        Map<String, String> data = secret == null ? null : secret.getData();
        if (data == null) {
            return values;
        }
        for (String encoded : data.values()) {
            try {
                JsonNode file = JSON.readTree(new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8));
                collect(file, false, values);
            } catch (Exception e) {
                // not a JSON file: nothing this rule can name
            }
        }
        return values;
    }

    private static void collect(JsonNode node, boolean secret, List<String> into) {
        if (node == null) {
            return;
        }
        if (node.isObject()) {
            node.fields()
                    .forEachRemaining(e -> collect(
                            e.getValue(),
                            secret
                                    || dev.collab.api.SecretFields.secretMap(e.getKey())
                                    || dev.collab.api.SecretFields.credentialField(e.getKey()),
                            into));
        } else if (node.isArray()) {
            node.forEach(n -> collect(n, secret, into));
        } else if (secret && node.isTextual()) {
            into.add(node.asText());
        }
    }
}

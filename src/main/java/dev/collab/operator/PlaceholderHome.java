package dev.collab.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.collab.api.CredentialKey;
import dev.collab.api.Placeholders;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Pure: the credential files of a Gateway-mode session. Same shapes as the credential Secret's keys, every secret
 * value replaced by the session's placeholder, OAuth expiry moved to the far future (the opencode-claude-auth plugin
 * then never refreshes), and opencode.json pointing the anthropic provider at the gateway. Every file is written,
 * a missing or unreadable one (not a JSON object: where its secrets are cannot be told) as {@code {}}, so seed-home
 * overwrites whatever an earlier Seeded run or the plugin left in HOME with a real credential.
 */
public final class PlaceholderHome {
    /** Fields whose string value is a credential (auth.json, .credentials.json, provider options). */
    static final Set<String> ACCESS_FIELDS = Set.of("key", "apiKey", "access", "accessToken", "token");

    static final Set<String> REFRESH_FIELDS = Set.of("refresh", "refreshToken");
    static final Set<String> EXPIRY_FIELDS = Set.of("expires", "expiresAt");
    private static final ObjectMapper JSON = new ObjectMapper();

    private PlaceholderHome() {}

    /** Secret data (key -> file content) for the `<name>-gateway-home` Secret. */
    public static Map<String, String> files(
            Map<CredentialKey, byte[]> real, String access, String refresh, String baseUrlV1) {
        return files(real, access, refresh, baseUrlV1, false);
    }

    /**
     * {@code pool}: the Secret holds accounts.json; when its own files name no anthropic credential, auth.json gets an
     * api-key entry with the placeholder, so opencode sends every request to the gateway, which picks the account.
     */
    public static Map<String, String> files(
            Map<CredentialKey, byte[]> real, String access, String refresh, String baseUrlV1, boolean pool) {
        Map<String, String> out = new LinkedHashMap<>();
        for (CredentialKey key : CredentialKey.values()) {
            byte[] content = real.get(key);
            ObjectNode tree = content == null ? null : parse(content);
            tree = tree == null ? JSON.createObjectNode() : tree;
            if (key == CredentialKey.OPENCODE_CONFIG) {
                tree.withObject("/provider/anthropic/options").put("baseURL", baseUrlV1);
            }
            if (key == CredentialKey.AUTH
                    && pool
                    && !tree.has("anthropic")
                    && real.get(CredentialKey.CLAUDE_CREDENTIALS) == null) {
                tree.putObject("anthropic").put("type", "api").put("key", access);
            }
            replace(tree, access, refresh);
            out.put(key.secretKey(), tree.toString());
        }
        return out;
    }

    private static ObjectNode parse(byte[] content) {
        try {
            JsonNode node = JSON.readTree(new String(content, StandardCharsets.UTF_8));
            return node instanceof ObjectNode o ? o : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static void replace(JsonNode node, String access, String refresh) {
        if (node.isArray()) {
            node.forEach(n -> replace(n, access, refresh));
            return;
        }
        if (!(node instanceof ObjectNode object)) {
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            JsonNode value = field.getValue();
            if (value.isTextual() && ACCESS_FIELDS.contains(name)) {
                field.setValue(object.textNode(access));
            } else if (value.isTextual() && REFRESH_FIELDS.contains(name)) {
                field.setValue(object.textNode(refresh));
            } else if (value.isNumber() && EXPIRY_FIELDS.contains(name)) {
                field.setValue(object.numberNode(Placeholders.FAR_FUTURE_EXPIRY_MILLIS));
            } else {
                replace(value, access, refresh);
            }
        }
    }
}

package dev.collab.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.collab.api.CredentialKey;
import dev.collab.api.Placeholders;
import dev.collab.api.SecretFields;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Pure: the credential files of a Gateway-mode session. Same shapes as the credential Secret's keys, every value that
 * {@link SecretFields} calls secret (the router's redaction rule) replaced, OAuth expiry moved to the far future (the
 * opencode-claude-auth plugin then never refreshes), and opencode.json pointing the anthropic provider at the
 * gateway. Credential fields get the session's placeholders (refresh fields the refresh placeholder). Values inside
 * {@code headers} and {@code environment} objects (MCP servers' env, providers' custom headers) have no placeholder
 * the gateway could stand in for: they become {@link #WITHHELD}, and {@link #withheld} names them so the operator can
 * refuse such a file with a condition instead of starting a pod whose MCP servers or providers fail quietly. Every
 * file is written, a missing or unreadable one (not a JSON object: where its secrets are cannot be told) as
 * {@code {}}, so seed-home overwrites whatever an earlier Seeded run or the plugin left in HOME with a real credential.
 */
public final class PlaceholderHome {
    /** What a secret value with no gateway placeholder becomes (not a credential anywhere). */
    public static final String WITHHELD = Placeholders.PREFIX + "withheld";

    static final Set<String> EXPIRY_FIELDS = Set.of("expires", "expiresAt");
    /** opencode's variable substitution: the value names where the secret comes from in the pod, and holds none. */
    private static final Pattern REFERENCE = Pattern.compile("\\{(env|file):[^{}]+}");

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
            replace(tree, access, refresh, key.secretKey() + ":", new ArrayList<>());
            out.put(key.secretKey(), tree.toString());
        }
        return out;
    }

    /**
     * Where the files hold secret values the gateway cannot stand in for, as {@code file: json.path} (names only,
     * never a value); empty when Gateway mode can hide every secret of these files.
     */
    public static List<String> withheld(Map<CredentialKey, byte[]> real) {
        List<String> paths = new ArrayList<>();
        for (CredentialKey key : CredentialKey.values()) {
            byte[] content = real.get(key);
            ObjectNode tree = content == null ? null : parse(content);
            if (tree != null) {
                replace(tree, "", "", key.secretKey() + ":", paths);
            }
        }
        return paths;
    }

    private static ObjectNode parse(byte[] content) {
        try {
            JsonNode node = JSON.readTree(new String(content, StandardCharsets.UTF_8));
            return node instanceof ObjectNode o ? o : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static void replace(JsonNode node, String access, String refresh, String path, List<String> withheld) {
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                replace(node.get(i), access, refresh, path + "[" + i + "]", withheld);
            }
            return;
        }
        if (!(node instanceof ObjectNode object)) {
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            String at = path + (path.endsWith(":") ? " " : ".") + name;
            JsonNode value = field.getValue();
            if (value.isContainerNode() && SecretFields.secretMap(name)) {
                withhold(value, at, withheld);
            } else if (SecretFields.credentialField(name) && (value.isTextual() || value.isArray())) {
                String placeholder = SecretFields.refreshField(name) ? refresh : access;
                field.setValue(value.isArray() ? credentialArray(value, placeholder) : object.textNode(placeholder));
            } else if (value.isNumber() && EXPIRY_FIELDS.contains(name)) {
                field.setValue(object.numberNode(Placeholders.FAR_FUTURE_EXPIRY_MILLIS));
            } else {
                replace(value, access, refresh, at, withheld);
            }
        }
    }

    /**
     * Every scalar inside a secret map becomes {@link #WITHHELD}; its path is recorded. A value that is only an
     * opencode reference ({@code {env:NAME}}, {@code {file:path}}) holds no secret itself and stays.
     */
    private static void withhold(JsonNode container, String path, List<String> withheld) {
        if (container instanceof ObjectNode object) {
            for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                String at = path + "." + field.getKey();
                if (field.getValue().isContainerNode()) {
                    withhold(field.getValue(), at, withheld);
                } else if (!field.getValue().isNull() && !reference(field.getValue())) {
                    field.setValue(object.textNode(WITHHELD));
                    withheld.add(at);
                }
            }
        } else if (container instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                if (array.get(i).isContainerNode()) {
                    withhold(array.get(i), path + "[" + i + "]", withheld);
                } else if (!array.get(i).isNull() && !reference(array.get(i))) {
                    array.set(i, array.textNode(WITHHELD));
                    withheld.add(path + "[" + i + "]");
                }
            }
        }
    }

    private static boolean reference(JsonNode value) {
        return value.isTextual() && REFERENCE.matcher(value.asText()).matches();
    }

    private static ArrayNode credentialArray(JsonNode array, String placeholder) {
        ArrayNode out = JSON.createArrayNode();
        array.forEach(v -> out.add(v.isTextual() ? out.textNode(placeholder) : v));
        return out;
    }
}

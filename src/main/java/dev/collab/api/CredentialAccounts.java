package dev.collab.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Pure: the Anthropic accounts a credential Secret holds (docs/DESIGN.md section 8). Key {@code accounts.json}
 * ({@code {"accounts":[{"name","type":"api","key"} | {"name","type":"oauth","access","refresh","expires"}]}}, the
 * shapes of opencode's auth.json entries plus a name) is a pool, tried in its order; without it the single-account
 * keys (auth.json, claude-credentials.json, opencode.json) give one account of each kind. No value is ever shown.
 */
public final class CredentialAccounts {
    /** The Secret key of an account pool (used only in Gateway mode; never copied into a session HOME). */
    public static final String KEY = "accounts.json";

    public enum Type {
        ApiKey,
        OAuth
    }

    /**
     * One account. sourceKey/index say where its credential lives in the Secret (for write-back): index is the
     * position in accounts.json, -1 for a single-account key. expiresAt in epoch milliseconds, 0 when unknown.
     * disabled: accounts.json {@code "disabled": true}, kept in the pool but never chosen (the owner turned it off).
     */
    public record Account(
            String name,
            Type type,
            String apiKey,
            String access,
            String refresh,
            long expiresAt,
            String sourceKey,
            int index,
            boolean disabled) {
        public Account(
                String name,
                Type type,
                String apiKey,
                String access,
                String refresh,
                long expiresAt,
                String sourceKey,
                int index) {
            this(name, type, apiKey, access, refresh, expiresAt, sourceKey, index, false);
        }

        /** A short digest of the credential (refresh token, else key or access token): tells an upload apart. */
        public String fingerprint() {
            String v = refresh != null ? refresh : apiKey != null ? apiKey : access;
            return v == null
                    ? ""
                    : CollabLabels.sha256Hex(v.getBytes(StandardCharsets.UTF_8)).substring(0, 16);
        }

        @Override
        public String toString() {
            return "Account[" + name + ", " + type + "]";
        }
    }

    /** The accounts of a Secret and whether they form a pool (accounts.json) or are single-account keys. */
    public record Accounts(List<Account> list, boolean pool) {
        public Optional<Account> named(String name) {
            return list.stream().filter(a -> a.name().equals(name)).findFirst();
        }

        public boolean isEmpty() {
            return list.isEmpty();
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private CredentialAccounts() {}

    /** From Secret data (base64 values). */
    public static Accounts of(Map<String, String> data) {
        Map<String, String> d = data == null ? Map.of() : data;
        JsonNode pool = file(d, KEY).path("accounts");
        if (pool.isArray()) {
            return new Accounts(pool(pool), true);
        }
        return new Accounts(single(d), false);
    }

    private static List<Account> pool(JsonNode array) {
        List<Account> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode a = array.get(i);
            String name = text(a.path("name"));
            name = name == null ? "account-" + (i + 1) : name;
            if (!names.add(name)) {
                continue; // a second account of the same name would share the first one's state
            }
            Account account = entry(name, a, KEY, i);
            if (account != null) {
                out.add(account);
            }
        }
        return out;
    }

    /** An auth.json-shaped entry: {type: api, key} or {type: oauth, access, refresh, expires}. */
    private static Account entry(String name, JsonNode a, String sourceKey, int index) {
        String type = a.path("type").asText();
        boolean disabled = a.path("disabled").asBoolean(false);
        if ("api".equals(type) && text(a.path("key")) != null) {
            return new Account(name, Type.ApiKey, text(a.path("key")), null, null, 0, sourceKey, index, disabled);
        }
        if ("oauth".equals(type) && (text(a.path("access")) != null || text(a.path("refresh")) != null)) {
            return new Account(
                    name,
                    Type.OAuth,
                    null,
                    text(a.path("access")),
                    text(a.path("refresh")),
                    a.path("expires").asLong(0),
                    sourceKey,
                    index,
                    disabled);
        }
        return null;
    }

    /** The single-account keys: the subscription (claude-credentials.json, else auth.json oauth), then the api key. */
    private static List<Account> single(Map<String, String> d) {
        List<Account> out = new ArrayList<>();
        JsonNode claude = file(d, CredentialKey.CLAUDE_CREDENTIALS.secretKey()).path("claudeAiOauth");
        JsonNode auth = file(d, CredentialKey.AUTH.secretKey()).path("anthropic");
        if (text(claude.path("accessToken")) != null) {
            out.add(new Account(
                    "subscription",
                    Type.OAuth,
                    null,
                    text(claude.path("accessToken")),
                    text(claude.path("refreshToken")),
                    claude.path("expiresAt").asLong(0),
                    CredentialKey.CLAUDE_CREDENTIALS.secretKey(),
                    -1));
        } else if ("oauth".equals(auth.path("type").asText())) {
            Account a = entry("subscription", auth, CredentialKey.AUTH.secretKey(), -1);
            if (a != null) {
                out.add(a);
            }
        }
        String key = "api".equals(auth.path("type").asText()) ? text(auth.path("key")) : null;
        String source = CredentialKey.AUTH.secretKey();
        if (key == null) {
            key = text(file(d, CredentialKey.OPENCODE_CONFIG.secretKey())
                    .path("provider")
                    .path("anthropic")
                    .path("options")
                    .path("apiKey"));
            source = CredentialKey.OPENCODE_CONFIG.secretKey();
        }
        if (key != null) {
            out.add(new Account("api-key", Type.ApiKey, key, null, null, 0, source, -1));
        }
        return out;
    }

    static JsonNode file(Map<String, String> data, String key) {
        String encoded = data.get(key);
        if (encoded == null) {
            return JSON.missingNode();
        }
        try {
            return JSON.readTree(Base64.getDecoder().decode(encoded));
        } catch (IOException | IllegalArgumentException e) {
            return JSON.missingNode();
        }
    }

    private static String text(JsonNode node) {
        return node.isTextual() && !node.asText().isBlank() ? node.asText() : null;
    }
}

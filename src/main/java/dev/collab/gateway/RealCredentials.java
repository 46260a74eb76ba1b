package dev.collab.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.collab.api.CredentialKey;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.IOException;
import java.util.Base64;
import java.util.Map;

/**
 * Pure: the Anthropic credentials in a session's credential Secret. An api key from auth.json
 * ({@code anthropic: {type: api, key}}) or opencode.json ({@code provider.anthropic.options.apiKey}); an OAuth access
 * token from claude-credentials.json ({@code claudeAiOauth.accessToken}) or auth.json ({@code type: oauth, access}).
 * {@link #toString()} never shows a value.
 */
public final class RealCredentials {
    /** The header a credential travels in upstream. */
    public enum Kind {
        API_KEY,
        BEARER
    }

    /** One credential to send upstream. */
    public record Credential(Kind kind, String value) {
        @Override
        public String toString() {
            return "Credential[" + kind + "]";
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final String apiKey;
    private final String accessToken;

    RealCredentials(String apiKey, String accessToken) {
        this.apiKey = apiKey;
        this.accessToken = accessToken;
    }

    public static RealCredentials of(Secret secret) {
        Map<String, String> data = secret == null || secret.getData() == null ? Map.of() : secret.getData();
        JsonNode auth = file(data, CredentialKey.AUTH).path("anthropic");
        JsonNode config = file(data, CredentialKey.OPENCODE_CONFIG);
        JsonNode claude = file(data, CredentialKey.CLAUDE_CREDENTIALS).path("claudeAiOauth");
        String apiKey = "api".equals(auth.path("type").asText()) ? text(auth.path("key")) : null;
        if (apiKey == null) {
            apiKey = text(
                    config.path("provider").path("anthropic").path("options").path("apiKey"));
        }
        String access = text(claude.path("accessToken"));
        if (access == null && "oauth".equals(auth.path("type").asText())) {
            access = text(auth.path("access"));
        }
        return new RealCredentials(apiKey, access);
    }

    /** The credential for a request that presented a placeholder as {@code presented}; the same kind when there is one. */
    public Credential choose(Kind presented) {
        if (presented == Kind.BEARER && accessToken != null) {
            return new Credential(Kind.BEARER, accessToken);
        }
        if (apiKey != null) {
            return new Credential(Kind.API_KEY, apiKey);
        }
        return accessToken == null ? null : new Credential(Kind.BEARER, accessToken);
    }

    public boolean isEmpty() {
        return apiKey == null && accessToken == null;
    }

    private static JsonNode file(Map<String, String> data, CredentialKey key) {
        String encoded = data.get(key.secretKey());
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

    @Override
    public String toString() {
        return "RealCredentials[apiKey=" + (apiKey != null) + ", accessToken=" + (accessToken != null) + "]";
    }
}

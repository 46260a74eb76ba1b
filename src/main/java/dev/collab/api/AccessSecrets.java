package dev.collab.api;

import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The `<name>-access` Secret (docs/DESIGN.md section 3) and the router's admin Secret, as every role reads and
 * writes them: keys {@link CollabLabels#ACCESS_TOKEN_KEY} and {@link CollabLabels#ACCESS_SERVER_PASSWORD_KEY},
 * base64 values, tokens of 32 random bytes in base64url, and the Basic header opencode expects.
 */
public final class AccessSecrets {
    private static final SecureRandom RANDOM = new SecureRandom();

    private AccessSecrets() {}

    /** 32 random bytes, base64url without padding: safe in URLs, cookies and headers. */
    public static String newToken() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Secret data for a session: the token clients present and the password the router sends to opencode. */
    public static Map<String, String> sessionData(String token, String serverPassword) {
        Map<String, String> data = new LinkedHashMap<>();
        data.put(CollabLabels.ACCESS_TOKEN_KEY, encode(token));
        data.put(CollabLabels.ACCESS_SERVER_PASSWORD_KEY, encode(serverPassword));
        return data;
    }

    /** The token (session or admin), or null when absent or not base64. */
    public static String token(Secret secret) {
        return text(secret, CollabLabels.ACCESS_TOKEN_KEY);
    }

    /** The opencode server password, or null when absent or not base64. */
    public static String serverPassword(Secret secret) {
        return text(secret, CollabLabels.ACCESS_SERVER_PASSWORD_KEY);
    }

    /**
     * The decoded bytes of one key, or null when absent or not base64. Also reads stringData, which an API server
     * folds into data but the Fabric8 mock server and the embedded API do not.
     */
    public static byte[] bytes(Secret secret, String key) {
        if (secret == null) {
            return null;
        }
        if (secret.getData() != null && secret.getData().get(key) != null) {
            try {
                return Base64.getDecoder().decode(secret.getData().get(key).trim());
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        if (secret.getStringData() != null && secret.getStringData().get(key) != null) {
            return secret.getStringData().get(key).getBytes(StandardCharsets.UTF_8);
        }
        return null;
    }

    /** The Authorization header value opencode's server checks: HTTP Basic with user "opencode". */
    public static String opencodeAuthorization(String serverPassword) {
        return "Basic " + encode("opencode:" + serverPassword);
    }

    /** Base64 of the UTF-8 bytes, as Secret data holds values. */
    public static String encode(String value) {
        return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(Secret secret, String key) {
        byte[] bytes = bytes(secret, key);
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }
}

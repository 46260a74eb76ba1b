package dev.collab.api;

import java.util.Set;
import java.util.TreeSet;

/**
 * The one rule for which JSON values of opencode's configuration and credential files are secret: values of fields
 * named like a credential (key, apiKey, access, refresh, token, authorization, ...) and every value inside a
 * {@code headers} or {@code environment} object (custom auth headers of providers, env of MCP servers). The router
 * redacts them in what a session shows; the operator keeps them out of a Gateway-mode pod. Names match case-insensitively.
 */
public final class SecretFields {
    private static final Set<String> CREDENTIAL_FIELDS = caseInsensitive(
            "key",
            "apiKey",
            "api_key",
            "api-key",
            "x-api-key",
            "access",
            "refresh",
            "token",
            "accessToken",
            "access_token",
            "refreshToken",
            "refresh_token",
            "authorization",
            "secret",
            "clientSecret",
            "client_secret",
            "password",
            "cookie");
    private static final Set<String> REFRESH_FIELDS = caseInsensitive("refresh", "refreshToken", "refresh_token");
    private static final Set<String> SECRET_MAPS = caseInsensitive("headers", "environment");

    private SecretFields() {}

    /** A field whose value is a credential. */
    public static boolean credentialField(String name) {
        return name != null && CREDENTIAL_FIELDS.contains(name);
    }

    /** A credential field that holds an OAuth refresh token. */
    public static boolean refreshField(String name) {
        return name != null && REFRESH_FIELDS.contains(name);
    }

    /** An object every value of which is secret, whatever its field names. */
    public static boolean secretMap(String name) {
        return name != null && SECRET_MAPS.contains(name);
    }

    private static Set<String> caseInsensitive(String... names) {
        Set<String> s = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        s.addAll(Set.of(names));
        return s;
    }
}

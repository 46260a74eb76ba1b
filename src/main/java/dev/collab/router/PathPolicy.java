package dev.collab.router;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import java.util.regex.Pattern;

/** Pipeline step: which upstream paths the router lets through. */
final class PathPolicy {
    private static final Pattern REPEATED_SLASHES = Pattern.compile("/{2,}");
    private static final Pattern OAUTH_PATH = Pattern.compile("^/provider/[^/]+/oauth(/.*)?$");

    private PathPolicy() {
    }

    /** False after answering 403 for a credential write of opencode. */
    static boolean allows(HttpMethod method, String rest, HttpServerResponse resp, String name) {
        if (!CookieBootstrap.isRead(method) && (rest.equals("/auth") || rest.startsWith("/auth/")
                || OAUTH_PATH.matcher(rest).matches())) {
            HttpErrors.send(resp, 403, "opencode credential endpoints are not reachable through the router; "
                    + "use PUT /collab/session/{session}/credentials/{key}", name);
            return false;
        }
        return true;
    }

    /** The path after /s/{session}, with repeated slashes folded; "/" when empty. */
    static String upstreamPath(String normalizedPath, String session) {
        String prefix = "/s/" + session;
        String rest = normalizedPath.startsWith(prefix) ? normalizedPath.substring(prefix.length()) : normalizedPath;
        if (rest.contains("//")) {
            rest = REPEATED_SLASHES.matcher(rest).replaceAll("/");
        }
        return rest.isEmpty() ? "/" : rest.startsWith("/") ? rest : "/" + rest;
    }
}

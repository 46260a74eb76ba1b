package dev.collab.router;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/** Where clients put tokens (Bearer header, one-time query parameter, session cookie) and how they are compared. */
final class Tokens {
    /** Session cookie set after a ?token= visit; scoped to /s/{session}/, or the session's host. */
    static final String COOKIE = "collab_session_token";

    static final String QUERY_PARAM = "token";

    private Tokens() {}

    /** Where the presented token came from: the Bearer header wins over the query, the query over the cookie. */
    enum Source {
        BEARER,
        QUERY,
        COOKIE
    }

    record Presented(String value, Source source) {}

    /** The token the request presents, or null. */
    static Presented presented(HttpServerRequest req) {
        String bearer = bearer(req);
        if (bearer != null) {
            return new Presented(bearer, Source.BEARER);
        }
        String query = req.getParam(QUERY_PARAM);
        if (query != null) {
            return new Presented(query, Source.QUERY);
        }
        String cookie = cookie(req);
        return cookie == null ? null : new Presented(cookie, Source.COOKIE);
    }

    /** Constant-time comparison (for tokens of equal length; the length itself is not secret). */
    static boolean matches(String presented, byte[] expected) {
        if (presented == null || expected == null || expected.length == 0) {
            return false;
        }
        return MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), expected);
    }

    static String bearer(HttpServerRequest req) {
        String h = req.getHeader(HttpHeaders.AUTHORIZATION);
        if (h != null && h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String t = h.substring(7).trim();
            return t.isEmpty() ? null : t;
        }
        return null;
    }

    static String cookie(HttpServerRequest req) {
        for (String header : req.headers().getAll(HttpHeaders.COOKIE)) {
            for (String part : header.split(";")) {
                String p = part.trim();
                if (p.startsWith(COOKIE + "=")) {
                    String v = p.substring(COOKIE.length() + 1);
                    return v.isEmpty() ? null : v;
                }
            }
        }
        return null;
    }

    /** The Cookie header without the router's own cookie, or null when nothing is left. */
    static String cookiesWithoutOurs(List<String> headers) {
        List<String> kept = new ArrayList<>();
        for (String header : headers) {
            for (String part : header.split(";")) {
                String p = part.trim();
                if (!p.isEmpty() && !p.startsWith(COOKIE + "=")) {
                    kept.add(p);
                }
            }
        }
        return kept.isEmpty() ? null : String.join("; ", kept);
    }

    /**
     * Under path routing ({@code prefix} /s/{session}) the cookie is scoped to the session's path and SameSite=None
     * (the UI may be embedded by another site; the Origin guard covers writes). Under host routing (empty prefix)
     * the session has its own origin: host-only cookie, Path=/, SameSite=Lax.
     */
    static String setCookie(String prefix, String token) {
        return prefix.isEmpty()
                ? COOKIE + "=" + token + "; Path=/; HttpOnly; Secure; SameSite=Lax"
                : COOKIE + "=" + token + "; Path=" + prefix + "/; HttpOnly; Secure; SameSite=None";
    }

    /** The raw query string without any token parameter (null when nothing is left). */
    static String queryWithoutToken(String query) {
        if (query == null || query.isEmpty()) {
            return null;
        }
        List<String> kept = new ArrayList<>();
        for (String part : query.split("&")) {
            String name = part.contains("=") ? part.substring(0, part.indexOf('=')) : part;
            if (!name.equals(QUERY_PARAM) && !part.isEmpty()) {
                kept.add(part);
            }
        }
        return kept.isEmpty() ? null : String.join("&", kept);
    }
}

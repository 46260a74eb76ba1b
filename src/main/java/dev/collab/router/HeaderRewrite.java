package dev.collab.router;

import dev.collab.api.HeaderNameSet;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Pipeline step: request headers towards opencode (hop-by-hop and credentials dropped, the server password and
 * X-Forwarded-* set) and response headers back (hop-by-hop dropped).
 */
final class HeaderRewrite {
    /** Hop-by-hop headers (RFC 9110 section 7.6.1) plus those the router sets itself. */
    private static final HeaderNameSet DROPPED_REQUEST_HEADERS = new HeaderNameSet(Set.of(
            "connection",
            "keep-alive",
            "proxy-authenticate",
            "proxy-authorization",
            "proxy-connection",
            "te",
            "trailer",
            "transfer-encoding",
            "upgrade",
            "host",
            "authorization",
            "cookie",
            "expect",
            "x-forwarded-for",
            "x-forwarded-proto",
            "x-forwarded-host",
            "x-forwarded-prefix",
            "forwarded"));

    private static final HeaderNameSet DROPPED_RESPONSE_HEADERS = new HeaderNameSet(Set.of(
            "connection",
            "keep-alive",
            "proxy-authenticate",
            "proxy-authorization",
            "proxy-connection",
            "te",
            "trailer",
            "transfer-encoding",
            "upgrade"));

    private HeaderRewrite() {}

    /** Writes the request headers for opencode into {@code out} (the upstream request's own, empty, headers). */
    static void upstream(
            HttpServerRequest req, String prefix, SessionDirectory.Access access, boolean upgrade, MultiMap out) {
        MultiMap in = req.headers();
        Set<String> connectionTokens = connectionTokens(in);
        for (Map.Entry<String, String> e : in) {
            if (!DROPPED_REQUEST_HEADERS.contains(e.getKey()) && !listed(connectionTokens, e.getKey())) {
                out.add(e.getKey(), e.getValue());
            }
        }
        if (upgrade) {
            out.set(HttpHeaders.CONNECTION, "Upgrade");
            out.set(HttpHeaders.UPGRADE, "websocket");
        }
        String cookies = Tokens.cookiesWithoutOurs(in.getAll(HttpHeaders.COOKIE));
        if (cookies != null) {
            out.set(HttpHeaders.COOKIE, cookies);
        }
        out.set(HttpHeaders.AUTHORIZATION, access.basicAuthorization());
        String remote =
                req.remoteAddress() == null ? "unknown" : req.remoteAddress().hostAddress();
        String xff = in.get("X-Forwarded-For");
        out.set("X-Forwarded-For", xff == null || xff.isBlank() ? remote : xff + ", " + remote);
        String proto = in.get("X-Forwarded-Proto");
        out.set("X-Forwarded-Proto", proto != null ? proto : req.isSSL() ? "https" : "http");
        String host = in.get("X-Forwarded-Host");
        String authority = req.authority() == null ? null : req.authority().toString();
        if (host != null || authority != null) {
            out.set("X-Forwarded-Host", host != null ? host : authority);
        }
        if (!prefix.isEmpty()) {
            out.set("X-Forwarded-Prefix", prefix);
        }
    }

    /**
     * Under path routing every session shares the router's origin, so a page one session serves (a file the agent
     * wrote, read through opencode's file API) would run with the origin and the path cookies of all of them. Such
     * documents are sandboxed into an opaque origin: their requests carry {@code Origin: null}, which the
     * {@link OriginGuard} refuses. Host routing gives each session its own origin instead.
     */
    static final String PATH_ROUTING_CSP = "sandbox allow-scripts allow-forms allow-popups allow-downloads";

    /** Status, message and end-to-end headers of the upstream response; the sandbox under path routing. */
    static void copyResponseHead(HttpClientResponse upResp, HttpServerResponse resp, String prefix) {
        resp.setStatusCode(upResp.statusCode());
        if (upResp.statusMessage() != null) {
            resp.setStatusMessage(upResp.statusMessage());
        }
        Set<String> connectionTokens = connectionTokens(upResp.headers());
        for (Map.Entry<String, String> e : upResp.headers()) {
            if (!DROPPED_RESPONSE_HEADERS.contains(e.getKey()) && !listed(connectionTokens, e.getKey())) {
                resp.headers().add(e.getKey(), e.getValue());
            }
        }
        if (!prefix.isEmpty()) {
            resp.headers().add("Content-Security-Policy", PATH_ROUTING_CSP);
        }
    }

    private static boolean listed(Set<String> connectionTokens, String header) {
        return !connectionTokens.isEmpty() && connectionTokens.contains(header.toLowerCase(Locale.ROOT));
    }

    /** Header names listed in Connection: hop-by-hop too (RFC 9110 section 7.6.1). */
    private static Set<String> connectionTokens(MultiMap headers) {
        List<String> values = headers.getAll(HttpHeaders.CONNECTION);
        if (values.isEmpty() || values.size() == 1 && isPlainKeepAliveOrClose(values.get(0))) {
            return Set.of(); // the common cases, nothing to allocate: both tokens are dropped anyway
        }
        Set<String> tokens = new HashSet<>();
        for (String c : values) {
            for (String t : c.split(",")) {
                tokens.add(t.trim().toLowerCase(Locale.ROOT));
            }
        }
        return tokens;
    }

    private static boolean isPlainKeepAliveOrClose(String value) {
        return value.equalsIgnoreCase("keep-alive") || value.equalsIgnoreCase("close");
    }
}

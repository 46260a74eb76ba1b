package dev.collab.router;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Pipeline step against cross-site request forgery and cross-site WebSocket hijacking: the session cookie is sent
 * by the browser whatever page started the request, so a cookie-authenticated request that carries an
 * {@code Origin} must come from the router's own origin (the request's Host) or one of
 * collab.router.allowed-origins. A Bearer or {@code ?token=} request proves the token itself and is not checked;
 * neither is a request without Origin (browsers send it on every cross-origin request, WebSocket upgrades and
 * same-origin writes).
 */
final class OriginGuard {
    private final Set<String> allowed = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);

    OriginGuard(List<String> allowedOrigins) {
        for (String o : allowedOrigins) {
            allowed.add(o.endsWith("/") ? o.substring(0, o.length() - 1) : o);
        }
    }

    /** False after answering 403. */
    boolean admits(HttpServerRequest req, HttpServerResponse resp, Tokens.Presented presented, String name) {
        if (presented.source() != Tokens.Source.COOKIE) {
            return true;
        }
        String origin = req.getHeader(HttpHeaders.ORIGIN);
        if (origin == null || allowed.contains(origin) || sameOrigin(origin, req)) {
            return true;
        }
        HttpErrors.send(
                resp,
                403,
                "cross-origin request refused: Origin " + printable(origin)
                        + " is not this router's origin nor in collab.router.allowed-origins",
                name);
        return false;
    }

    /** Origin's host[:port] equals the Host the browser sent (or the X-Forwarded-Host an ingress set). */
    static boolean sameOrigin(String origin, HttpServerRequest req) {
        int scheme = origin.indexOf("://");
        if (scheme < 0) {
            return false; // "null" and the like
        }
        String s = origin.substring(0, scheme).toLowerCase(Locale.ROOT);
        if (!s.equals("http") && !s.equals("https")) {
            return false;
        }
        String authority = origin.substring(scheme + 3);
        String forwarded = req.getHeader("X-Forwarded-Host");
        String host = forwarded != null ? forwarded.split(",")[0].trim() : req.getHeader(HttpHeaders.HOST);
        return host != null && authority.equalsIgnoreCase(withoutDefaultPort(host, s));
    }

    private static String withoutDefaultPort(String host, String scheme) {
        String port = scheme.equals("https") ? ":443" : ":80";
        return host.endsWith(port) ? host.substring(0, host.length() - port.length()) : host;
    }

    private static String printable(String origin) {
        String o = origin.length() > 200 ? origin.substring(0, 200) : origin;
        return o.replaceAll("[^\\x20-\\x7e]", "?");
    }
}

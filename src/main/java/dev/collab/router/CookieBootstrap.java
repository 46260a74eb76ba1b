package dev.collab.router;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.Set;

/** Pipeline step: a one-time {@code ?token=} becomes a session cookie, and the URL loses the token. */
final class CookieBootstrap {
    private static final Set<HttpMethod> READ_METHODS = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);

    private CookieBootstrap() {}

    /** True when it answered the redirect (the request ends here). */
    static boolean redirected(
            HttpServerRequest req,
            HttpServerResponse resp,
            String prefix,
            Tokens.Presented presented,
            String queryWithoutToken) {
        if (presented.source() != Tokens.Source.QUERY) {
            return false;
        }
        String location = req.path() + (queryWithoutToken == null ? "" : "?" + queryWithoutToken);
        resp.putHeader(HttpHeaders.SET_COOKIE, Tokens.setCookie(prefix, presented.value()))
                .putHeader(HttpHeaders.LOCATION, location)
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .setStatusCode(READ_METHODS.contains(req.method()) ? 302 : 307)
                .end();
        return true;
    }

    static boolean isRead(HttpMethod method) {
        return READ_METHODS.contains(method);
    }
}

package dev.collab.router;

import dev.collab.router.RouteTable.RouteClass;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import java.util.regex.Pattern;

/**
 * Pipeline step: which upstream requests the router lets through, from opencode's own route table. Credential and
 * config writes get 403, and so does a method opencode has no route for (its web UI handler would answer) unless it
 * only reads (GET, HEAD, OPTIONS: the web UI's static files).
 */
final class PathPolicy {
    private static final Pattern REPEATED_SLASHES = Pattern.compile("/{2,}");

    private final RouteTable table;

    PathPolicy(RouteTable table) {
        this.table = table;
    }

    /** The class of the request, or null after answering 403 or 404. */
    RouteClass check(HttpMethod method, String rest, HttpServerResponse resp, String name) {
        RouteClass c = table.classify(method, rest);
        if (c == RouteClass.DENY) {
            HttpErrors.send(
                    resp,
                    403,
                    "opencode credential and config writes are not reachable through the router; "
                            + "use PUT /collab/session/{session}/credentials/{key}",
                    name);
            return null;
        }
        if (c == RouteClass.UNKNOWN && !CookieBootstrap.isRead(method)) {
            HttpErrors.send(
                    resp,
                    403,
                    "not forwarded: " + method.name() + " is not a route of opencode's API on this path "
                            + "(only reads reach its web UI)",
                    name);
            return null;
        }
        return c;
    }

    /** The path after the prefix ({@code /s/{session}} or empty), with repeated slashes folded; "/" when empty. */
    static String upstreamPath(String normalizedPath, String prefix) {
        String rest = normalizedPath.startsWith(prefix) ? normalizedPath.substring(prefix.length()) : normalizedPath;
        if (rest.contains("//")) {
            rest = REPEATED_SLASHES.matcher(rest).replaceAll("/");
        }
        return rest.isEmpty() ? "/" : rest.startsWith("/") ? rest : "/" + rest;
    }
}

package dev.collab.router;

import io.vertx.core.http.HttpMethod;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * opencode's route table ({@code opencode-routes.tsv}, taken from its OpenAPI document) as a segment trie, matched
 * the way opencode 1.18.33 matches a request path (measured against the real server): case-insensitive, the
 * path ends at the first {@code ;} (or {@code #}), empty segments (double and trailing slashes) are ignored,
 * and percent-encoded characters are decoded. A path several routes match gets the strictest class of them.
 * Built once; {@link #classify} walks the path without splitting it.
 */
final class RouteTable {
    static final String RESOURCE = "opencode-routes.tsv";

    /** What the router does with a request; ordered from least to most strict. */
    enum RouteClass {
        /** Not in the table: opencode's web UI handler answers it (static files). */
        UNKNOWN,
        ALLOW,
        REDACT,
        DENY
    }

    /** One row of the table. */
    record Route(HttpMethod method, String path, RouteClass routeClass, String why) {
    }

    private static final class Node {
        final List<String> literals = new ArrayList<>();
        final List<Node> children = new ArrayList<>();
        Node param;
        /** Methods of a {@code *} route ending here: it matches zero or more further segments. */
        Map<HttpMethod, RouteClass> wildcard;
        final Map<HttpMethod, RouteClass> methods = new HashMap<>();

        Node child(String segment) {
            if (segment.startsWith("{") && segment.endsWith("}")) {
                return param == null ? param = new Node() : param;
            }
            String literal = segment.toLowerCase(Locale.ROOT);
            int i = literals.indexOf(literal);
            if (i >= 0) {
                return children.get(i);
            }
            literals.add(literal);
            Node n = new Node();
            children.add(n);
            return n;
        }
    }

    private final Node root = new Node();
    private final List<Route> routes;

    RouteTable(List<Route> routes) {
        this.routes = List.copyOf(routes);
        for (Route r : routes) {
            Node node = root;
            String[] segments = r.path().substring(1).split("/");
            for (int i = 0; i < segments.length; i++) {
                if (segments[i].equals("*") && i == segments.length - 1) {
                    if (node.wildcard == null) {
                        node.wildcard = new HashMap<>();
                    }
                    node.wildcard.merge(r.method(), r.routeClass(), RouteTable::stricter);
                    node = null;
                    break;
                }
                if (!segments[i].isEmpty()) {
                    node = node.child(segments[i]);
                }
            }
            if (node != null) {
                node.methods.merge(r.method(), r.routeClass(), RouteTable::stricter);
            }
        }
    }

    /** The table shipped with the router. */
    static RouteTable opencode() {
        try (InputStream in = RouteTable.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + RESOURCE);
            }
            return new RouteTable(parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().toList()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rows "METHOD\tpath\tclass\twhy"; '#' starts a comment line. */
    static List<Route> parse(List<String> lines) {
        List<Route> routes = new ArrayList<>();
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] cols = line.split("\t", 4);
            if (cols.length < 3 || !cols[1].startsWith("/")) {
                throw new IllegalArgumentException("bad route table line: " + line);
            }
            routes.add(new Route(HttpMethod.valueOf(cols[0]), cols[1], RouteClass.valueOf(cols[2].toUpperCase(Locale.ROOT)),
                    cols.length > 3 ? cols[3] : ""));
        }
        return routes;
    }

    List<Route> routes() {
        return routes;
    }

    /** The class of {@code method} on {@code path} (an upstream path without the query). */
    RouteClass classify(HttpMethod method, String path) {
        int end = path.length();
        for (int i = 0; i < end; i++) {
            char c = path.charAt(i);
            if (c == ';' || c == '#' || c == '?') {
                end = i;
                break;
            }
        }
        return match(root, path, 0, end, method);
    }

    private static RouteClass match(Node node, String path, int from, int end, HttpMethod method) {
        int start = from;
        while (start < end && path.charAt(start) == '/') {
            start++;
        }
        RouteClass best = RouteClass.UNKNOWN;
        if (node.wildcard != null) {
            best = stricter(best, node.wildcard.getOrDefault(method, RouteClass.UNKNOWN));
        }
        if (start >= end) {
            return stricter(best, node.methods.getOrDefault(method, RouteClass.UNKNOWN));
        }
        int stop = path.indexOf('/', start);
        if (stop < 0 || stop > end) {
            stop = end;
        }
        String decoded = null;
        for (int i = 0; i < node.literals.size(); i++) {
            String literal = node.literals.get(i);
            boolean equal;
            if (path.indexOf('%', start) >= 0 && path.indexOf('%', start) < stop) {
                decoded = decoded == null ? decode(path.substring(start, stop)) : decoded;
                equal = literal.equalsIgnoreCase(decoded);
            } else {
                equal = stop - start == literal.length() && path.regionMatches(true, start, literal, 0, literal.length());
            }
            if (equal) {
                best = stricter(best, match(node.children.get(i), path, stop, end, method));
            }
        }
        if (node.param != null) {
            best = stricter(best, match(node.param, path, stop, end, method));
        }
        return best;
    }

    private static String decode(String segment) {
        try {
            return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return segment;
        }
    }

    static RouteClass stricter(RouteClass a, RouteClass b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}

package dev.collab.gateway;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.net.URI;

/**
 * Where a proxy request wants to go: {@code CONNECT host:port} (authority form, IPv6 in brackets) or an absolute
 * {@code http://host[:port]/path} request; null for anything else (origin-form requests, https:// absolute URIs,
 * which a client tunnels with CONNECT instead).
 *
 * @param pathAndQuery what a plain HTTP request asks the origin for; null for a tunnel
 */
record EgressTarget(String host, int port, String pathAndQuery) {
    boolean tunnel() {
        return pathAndQuery == null;
    }

    static EgressTarget of(HttpServerRequest req) {
        String uri = req.uri();
        if (uri == null || uri.isEmpty()) {
            return null;
        }
        return req.method() == HttpMethod.CONNECT ? authority(uri) : absolute(uri);
    }

    static EgressTarget authority(String authority) {
        int colon = authority.lastIndexOf(':');
        if (colon <= 0 || (authority.startsWith("[") && colon < authority.indexOf(']'))) {
            return null; // a tunnel names its port
        }
        String host = authority.substring(0, colon);
        int port = port(authority.substring(colon + 1));
        return port < 0 || host.isEmpty() ? null : new EgressTarget(host, port, null);
    }

    static EgressTarget absolute(String uri) {
        try {
            URI u = new URI(uri);
            if (!"http".equalsIgnoreCase(u.getScheme()) || u.getRawAuthority() == null || u.getHost() == null) {
                return null;
            }
            if (u.getRawUserInfo() != null) {
                return null; // credentials for the origin in the URL: never forwarded
            }
            String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
            String query = u.getRawQuery() == null ? "" : "?" + u.getRawQuery();
            return new EgressTarget(u.getHost(), u.getPort() < 0 ? 80 : u.getPort(), path + query);
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    /** The host without IPv6 brackets, as a resolver takes it. */
    String bareHost() {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** host[:port] as the Host header names it (brackets kept for IPv6, port only when not 80). */
    String hostHeader() {
        return port == 80 ? host : host + ":" + port;
    }

    private static int port(String text) {
        try {
            int p = Integer.parseInt(text);
            return p >= 1 && p <= 65535 ? p : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}

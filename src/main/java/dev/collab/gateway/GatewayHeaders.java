package dev.collab.gateway;

import dev.collab.api.HeaderNameSet;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The gateway's header rules: what a client presented, what goes upstream in its place, what comes back. */
final class GatewayHeaders {
    /** Hop-by-hop headers (RFC 9110 7.6.1) and a proxy's own: never passed on, by the provider path or the egress proxy. */
    static final Set<String> HOP_BY_HOP = Set.of(
            "connection",
            "keep-alive",
            "proxy-authenticate",
            "proxy-authorization",
            "proxy-connection",
            "te",
            "trailer",
            "transfer-encoding",
            "upgrade");

    /** Hop-by-hop headers, every header a client credential can travel in, and forwarding headers. */
    static final Set<String> DROPPED_REQUEST_HEADERS = union(
            HOP_BY_HOP,
            Set.of(
                    "host",
                    "authorization",
                    "x-api-key",
                    "cookie",
                    "expect",
                    "accept-encoding",
                    "forwarded",
                    "x-forwarded-for",
                    "x-forwarded-proto",
                    "x-forwarded-host",
                    "x-forwarded-prefix",
                    "x-real-ip"));

    /** Hop-by-hop headers of the provider's answer, and cookies (the provider has no business with the pod). */
    static final Set<String> DROPPED_RESPONSE_HEADERS = union(HOP_BY_HOP, Set.of("set-cookie"));

    /** The same two sets, matched without allocating (every header of every request and response is tested). */
    private static final HeaderNameSet DROPPED_REQUEST_NAMES = new HeaderNameSet(DROPPED_REQUEST_HEADERS);

    private static final HeaderNameSet DROPPED_RESPONSE_NAMES = new HeaderNameSet(DROPPED_RESPONSE_HEADERS);

    /** The beta flag the Messages API requires with an OAuth access token. */
    static final String OAUTH_BETA = "oauth-2025-04-20";

    /** What the client presented where a credential goes: an x-api-key, or a Bearer token. */
    record Presented(RealCredentials.Kind kind, String value) {
        @Override
        public String toString() {
            return "Presented[" + kind + "]";
        }
    }

    static Presented presented(HttpServerRequest req) {
        String apiKey = req.getHeader("x-api-key");
        if (apiKey != null && !apiKey.isBlank()) {
            return new Presented(RealCredentials.Kind.API_KEY, apiKey.trim());
        }
        String auth = req.getHeader(HttpHeaders.AUTHORIZATION);
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) && auth.length() > 7) {
            return new Presented(RealCredentials.Kind.BEARER, auth.substring(7).trim());
        }
        return null;
    }

    /**
     * The client's headers minus hop-by-hop, forwarding and every credential header, plus the real credential, written
     * into {@code out}: the upstream request's own (empty) headers, as options.setHeaders would copy a map built for it.
     */
    static void upstreamHeaders(MultiMap in, RealCredentials.Credential credential, MultiMap out) {
        Set<String> connectionTokens = connectionTokens(in);
        for (Map.Entry<String, String> e : in) {
            String h = e.getKey();
            if (!DROPPED_REQUEST_NAMES.contains(h)
                    && (connectionTokens.isEmpty() || !connectionTokens.contains(h.toLowerCase(Locale.ROOT)))) {
                out.add(e.getKey(), e.getValue());
            }
        }
        // identity: usage is read from the response as it passes, which a compressed body would hide
        out.set(HttpHeaders.ACCEPT_ENCODING, "identity");
        if (credential.kind() == RealCredentials.Kind.API_KEY) {
            out.set("x-api-key", credential.value());
        } else {
            out.set(HttpHeaders.AUTHORIZATION, "Bearer " + credential.value());
            // a pool may send a request that presented an api key with an OAuth account: the API wants this beta
            String beta = out.get("anthropic-beta");
            if (beta == null || !beta.contains(OAUTH_BETA)) {
                out.set("anthropic-beta", beta == null || beta.isBlank() ? OAUTH_BETA : beta + "," + OAUTH_BETA);
            }
        }
    }

    /**
     * Header names listed in Connection (hop-by-hop too). None when there is no Connection header or it says only
     * keep-alive, a name dropped anyway: the common case allocates nothing.
     */
    private static Set<String> connectionTokens(MultiMap in) {
        java.util.List<String> values = in.getAll(HttpHeaders.CONNECTION);
        if (values.isEmpty()
                || values.size() == 1
                        && values.get(0).trim().toLowerCase(Locale.ROOT).equals("keep-alive")) {
            return Set.of();
        }
        Set<String> tokens = new HashSet<>();
        for (String c : values) {
            for (String t : c.split(",")) {
                tokens.add(t.trim().toLowerCase(Locale.ROOT));
            }
        }
        return tokens;
    }

    /** The provider's response headers minus hop-by-hop headers and cookies. */
    static void copyResponseHeaders(MultiMap from, MultiMap to) {
        for (Map.Entry<String, String> e : from) {
            if (!DROPPED_RESPONSE_NAMES.contains(e.getKey())) {
                to.add(e.getKey(), e.getValue());
            }
        }
    }

    private GatewayHeaders() {}

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new java.util.HashSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }
}

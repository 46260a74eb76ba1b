package dev.collab.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A FAKE OAuth provider on loopback, shaped like Claude's (authorize page, JSON token endpoint): the authorize page
 * has an Approve link that redirects to the login's redirect_uri with a code (or, for a redirect_uri elsewhere, shows
 * the code as {@code code#state} to paste, as Claude's page does); the token endpoint exchanges a code once, only with
 * the PKCE verifier whose S256 challenge the authorize request carried, the same client id and redirect URI, and
 * refreshes (rotating) unless told to refuse. Tokens are {@code fat-<n>} / {@code frt-<n>}.
 */
public final class FakeAuthorizationServer implements AutoCloseable {
    public static final String CLIENT_ID = "fake-client-id";
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Grant(String challenge, String redirectUri, String clientId) {}

    private final HttpServer server;
    private final Map<String, Map<String, String>> pendingApprovals = new ConcurrentHashMap<>();
    private final Map<String, Grant> codes = new ConcurrentHashMap<>();
    private final Set<String> liveRefreshTokens = ConcurrentHashMap.newKeySet();
    private final AtomicInteger serial = new AtomicInteger();
    private final AtomicInteger exchanges = new AtomicInteger();
    private final AtomicInteger refreshes = new AtomicInteger();
    private volatile boolean refuseRefreshes;
    private volatile long expiresInSeconds = 3600;

    public FakeAuthorizationServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-authorization-server");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/oauth/authorize", this::authorize);
        server.createContext("/oauth/approve", this::approvePage);
        server.createContext("/v1/oauth/token", this::token);
        server.start();
    }

    public String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public String authorizeUrl() {
        return base() + "/oauth/authorize";
    }

    public String tokenUrl() {
        return base() + "/v1/oauth/token";
    }

    /** From now on every refresh grant answers 400 invalid_grant (the provider revoked the account's tokens). */
    public void refuseRefreshes(boolean refuse) {
        this.refuseRefreshes = refuse;
    }

    /** Lifetime of the access tokens issued from now on. */
    public void expiresIn(long seconds) {
        this.expiresInSeconds = seconds;
    }

    public int exchanges() {
        return exchanges.get();
    }

    public int refreshes() {
        return refreshes.get();
    }

    /**
     * What a person approving {@code authorizeUrl} gets to paste: {@code code#state}, as Claude's page shows it (no
     * browser: the API tests' stand-in for the person).
     */
    public String approve(String authorizeUrl) {
        Map<String, String> q = query(URI.create(authorizeUrl).getRawQuery());
        return issueCode(q) + "#" + q.get("state");
    }

    private String issueCode(Map<String, String> q) {
        if (!"S256".equals(q.get("code_challenge_method")) || q.get("code_challenge") == null) {
            throw new IllegalArgumentException("authorize request without an S256 PKCE challenge");
        }
        String code = "fcode-" + serial.incrementAndGet();
        codes.put(code, new Grant(q.get("code_challenge"), q.get("redirect_uri"), q.get("client_id")));
        return code;
    }

    private void authorize(HttpExchange ex) throws IOException {
        try (ex) {
            Map<String, String> q = query(ex.getRequestURI().getRawQuery());
            String id = "req-" + serial.incrementAndGet();
            pendingApprovals.put(id, q);
            html(
                    ex,
                    200,
                    "<!doctype html><title>Fake provider</title><h1>Fake provider: log in</h1>"
                            + "<p>Client " + escape(q.getOrDefault("client_id", "")) + " asks for "
                            + escape(q.getOrDefault("scope", "")) + "</p><a id=approve href=\"/oauth/approve?req=" + id
                            + "\">Approve</a>");
        }
    }

    private void approvePage(HttpExchange ex) throws IOException {
        try (ex) {
            Map<String, String> q = pendingApprovals.remove(
                    query(ex.getRequestURI().getRawQuery()).getOrDefault("req", ""));
            if (q == null) {
                html(ex, 400, "unknown request");
                return;
            }
            String code = issueCode(q);
            String redirect = q.getOrDefault("redirect_uri", "");
            if (redirect.startsWith("http://127.0.0.1:")) {
                ex.getResponseHeaders()
                        .add(
                                "Location",
                                redirect + (redirect.contains("?") ? "&" : "?") + "code=" + enc(code) + "&state="
                                        + enc(q.get("state")));
                ex.sendResponseHeaders(302, -1);
            } else {
                html(
                        ex,
                        200,
                        "<p>Paste this code:</p><code id=code>" + escape(code + "#" + q.get("state")) + "</code>");
            }
        }
    }

    private void token(HttpExchange ex) throws IOException {
        try (ex) {
            JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
            String grant = body.path("grant_type").asText();
            if ("authorization_code".equals(grant)) {
                Grant g = codes.remove(body.path("code").asText());
                boolean ok = g != null
                        && g.clientId().equals(body.path("client_id").asText())
                        && g.redirectUri().equals(body.path("redirect_uri").asText())
                        && g.challenge().equals(s256(body.path("code_verifier").asText()));
                if (!ok) {
                    json(ex, 400, "{\"error\":\"invalid_grant\",\"error_description\":\"code, verifier or client\"}");
                    return;
                }
                exchanges.incrementAndGet();
                issue(ex);
            } else if ("refresh_token".equals(grant)) {
                refreshes.incrementAndGet();
                if (refuseRefreshes
                        || !liveRefreshTokens.remove(body.path("refresh_token").asText())) {
                    json(ex, 400, "{\"error\":\"invalid_grant\",\"error_description\":\"refresh token revoked\"}");
                    return;
                }
                issue(ex);
            } else {
                json(ex, 400, "{\"error\":\"unsupported_grant_type\"}");
            }
        }
    }

    private void issue(HttpExchange ex) throws IOException {
        int n = serial.incrementAndGet();
        liveRefreshTokens.add("frt-" + n);
        json(
                ex,
                200,
                "{\"token_type\":\"Bearer\",\"access_token\":\"fat-" + n + "\",\"refresh_token\":\"frt-" + n
                        + "\",\"expires_in\":" + expiresInSeconds + "}");
    }

    private static String s256(String verifier) {
        try {
            return Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString(
                            MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw != null) {
            for (String part : raw.split("&")) {
                String[] kv = part.split("=", 2);
                out.put(
                        URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                        kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
            }
        }
        return out;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s == null ? "" : s, StandardCharsets.UTF_8);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static void html(HttpExchange ex, int status, String body) throws IOException {
        send(ex, status, "text/html; charset=utf-8", body);
    }

    private static void json(HttpExchange ex, int status, String body) throws IOException {
        send(ex, status, "application/json", body);
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}

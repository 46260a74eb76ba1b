package dev.collab.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback stand-in for Claude's OAuth token endpoint (refresh grant only), as a rotating authorization server
 * behaves: refresh token {@code ort-<account>-<n>-…} buys access token {@code oat-<account>-<n+1>-rotated} and refresh
 * token {@code ort-<account>-<n+1>-rotated}; a refresh token works once, a second use answers 400 invalid_grant (so a
 * worker that lost its written-back token fails loudly). Records every refresh with the process that sent it.
 */
final class FakeClaudeOAuth implements AutoCloseable {
    static final String PATH = "/v1/oauth/token";

    /** One refresh request: the refresh token presented, whether it was accepted, the sending pid (-1: unknown). */
    record Refresh(String refreshToken, boolean accepted, long pid) {}

    private static final Pattern TOKEN = Pattern.compile("ort-([a-z]+)-(\\d{4})-.*");
    private final HttpServer server;
    private final List<Refresh> refreshes = new CopyOnWriteArrayList<>();
    private final Set<String> used = ConcurrentHashMap.newKeySet();

    FakeClaudeOAuth() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-claude-oauth");
            t.setDaemon(true);
            return t;
        }));
        server.createContext(PATH, this::handle);
        server.start();
    }

    String tokenUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + PATH;
    }

    List<Refresh> refreshes() {
        return List.copyOf(refreshes);
    }

    /** The access token a refresh of {@code refreshToken} hands out. */
    static String accessAfter(String refreshToken) {
        return rotated(refreshToken, "oat");
    }

    /** The refresh token a refresh of {@code refreshToken} hands out (and the worker must write back). */
    static String refreshAfter(String refreshToken) {
        return rotated(refreshToken, "ort");
    }

    private static String rotated(String refreshToken, String kind) {
        Matcher m = TOKEN.matcher(refreshToken);
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "not a refresh token of this server: " + FakeAnthropic.redact(refreshToken));
        }
        return String.format("%s-%s-%04d-rotated", kind, m.group(1), Integer.parseInt(m.group(2)) + 1);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange;
                InputStream in = exchange.getRequestBody()) {
            byte[] raw = in.readAllBytes();
            long pid = SocketOwners.pidOfLoopbackClient(
                    exchange.getRemoteAddress().getPort(), server.getAddress().getPort());
            if (!"POST".equals(exchange.getRequestMethod())) {
                answer(exchange, 405, "{\"error\":\"method_not_allowed\"}");
                return;
            }
            JsonNode body = Serialization.jsonMapper().readTree(raw);
            String token = body.path("refresh_token").asText("");
            boolean ok = "refresh_token".equals(body.path("grant_type").asText())
                    && TOKEN.matcher(token).matches()
                    && used.add(token);
            refreshes.add(new Refresh(token, ok, pid));
            if (!ok) {
                answer(
                        exchange,
                        400,
                        "{\"error\":\"invalid_grant\",\"error_description\":\"refresh token unknown or already used\"}");
                return;
            }
            answer(
                    exchange,
                    200,
                    "{\"token_type\":\"Bearer\",\"access_token\":\"" + accessAfter(token) + "\",\"refresh_token\":\""
                            + refreshAfter(token) + "\",\"expires_in\":28800}");
        }
    }

    private static void answer(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}

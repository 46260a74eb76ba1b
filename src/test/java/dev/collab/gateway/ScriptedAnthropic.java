package dev.collab.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback stand-in (Vert.x) for the Anthropic Messages API and Claude's OAuth token endpoint, with answers
 * scripted per credential: each credential (api key or access token) answers its queued answers in order, then a
 * normal streamed completion. The token endpoint rotates like the real one: refresh token {@code ort-<who>-<n>-…}
 * buys {@code oat-<who>-<n+1>-rotated} and {@code ort-<who>-<n+1>-rotated} once; a second use, or a token marked
 * revoked, answers 400 invalid_grant. Records every request by credential and every refresh.
 */
final class ScriptedAnthropic implements AutoCloseable {
    static final String TEXT = "Hello from the scripted provider";

    /** One scripted answer. */
    record Answer(int status, Map<String, String> headers, String contentType, String body) {}

    private static final Pattern REFRESH = Pattern.compile("ort-([a-z0-9]+)-(\\d{4})-.*");
    private final Vertx vertx;
    private final HttpServer server;
    private final Map<String, Queue<Answer>> scripts = new ConcurrentHashMap<>();
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final List<String> refreshes = new CopyOnWriteArrayList<>();
    private final Set<String> usedRefreshTokens = ConcurrentHashMap.newKeySet();
    private final Map<String, CompletableFuture<Void>> heldRefreshes = new ConcurrentHashMap<>();

    ScriptedAnthropic(Vertx vertx) throws Exception {
        this.vertx = vertx;
        this.server = vertx.createHttpServer()
                .requestHandler(req -> req.body().onSuccess(body -> {
                    if (req.path().equals("/v1/oauth/token")) {
                        token(req, new JsonObject(body));
                    } else {
                        messages(req);
                    }
                }))
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    String tokenUrl() {
        return baseUrl() + "/v1/oauth/token";
    }

    void script(String credential, Answer... answers) {
        scripts.computeIfAbsent(credential, c -> new ConcurrentLinkedQueue<>()).addAll(List.of(answers));
    }

    /** Credentials of the Messages requests, in the order they arrived. */
    List<String> calls() {
        return List.copyOf(calls);
    }

    /** Refresh tokens presented to the token endpoint, in order. */
    List<String> refreshes() {
        return List.copyOf(refreshes);
    }

    /**
     * A slow token endpoint: the answer for this refresh token (decided, and the token spent, when the call arrives)
     * is sent only once the returned future completes.
     */
    CompletableFuture<Void> holdRefresh(String refreshToken) {
        return heldRefreshes.computeIfAbsent(refreshToken, t -> new CompletableFuture<>());
    }

    void revoke(String refreshToken) {
        usedRefreshTokens.add(refreshToken);
    }

    static Answer rateLimited(long retryAfterSeconds) {
        return new Answer(
                429,
                Map.of("retry-after", Long.toString(retryAfterSeconds)),
                "application/json",
                "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"scripted 429\"}}");
    }

    /** A Pro/Max limit as it often arrives: HTTP 200, message_start, then an error event, before any content. */
    static Answer rateLimitedInStream() {
        return new Answer(
                200,
                Map.of(),
                "text/event-stream",
                event(
                                "message_start",
                                "{\"type\":\"message_start\",\"message\":{\"model\":\"m\",\"usage\":"
                                        + "{\"input_tokens\":3,\"output_tokens\":1}}}")
                        + event(
                                "error",
                                "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
                                        + "\"message\":\"scripted in-stream limit\"}}"));
    }

    static Answer completion() {
        return new Answer(
                200,
                Map.of(),
                "text/event-stream",
                event(
                                "message_start",
                                "{\"type\":\"message_start\",\"message\":{\"model\":\"m\",\"usage\":"
                                        + "{\"input_tokens\":5,\"output_tokens\":1}}}")
                        + event(
                                "content_block_start",
                                "{\"type\":\"content_block_start\",\"index\":0,"
                                        + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")
                        + event(
                                "content_block_delta",
                                "{\"type\":\"content_block_delta\",\"index\":0,"
                                        + "\"delta\":{\"type\":\"text_delta\",\"text\":\"" + TEXT + "\"}}")
                        + event("message_delta", "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":8}}")
                        + event("message_stop", "{\"type\":\"message_stop\"}"));
    }

    private static String event(String name, String data) {
        return "event: " + name + "\ndata: " + data + "\n\n";
    }

    private void messages(HttpServerRequest req) {
        String key = req.getHeader("x-api-key");
        String auth = req.getHeader("authorization");
        String credential = key != null ? key : auth != null && auth.startsWith("Bearer ") ? auth.substring(7) : "";
        calls.add(credential);
        Queue<Answer> queue = scripts.get(credential);
        Answer a = queue == null || queue.isEmpty() ? completion() : queue.poll();
        req.response().setStatusCode(a.status()).putHeader("content-type", a.contentType());
        a.headers().forEach(req.response()::putHeader);
        req.response().end(a.body());
    }

    private void token(HttpServerRequest req, JsonObject body) {
        String token = body.getString("refresh_token", "");
        refreshes.add(token);
        Matcher m = REFRESH.matcher(token);
        if (!"refresh_token".equals(body.getString("grant_type")) || !m.matches() || !usedRefreshTokens.add(token)) {
            req.response()
                    .setStatusCode(400)
                    .putHeader("content-type", "application/json")
                    .end("{\"error\":\"invalid_grant\",\"error_description\":\"refresh token unknown or used\"}");
            return;
        }
        String next = String.format("%04d", Integer.parseInt(m.group(2)) + 1);
        String answer = new JsonObject()
                .put("token_type", "Bearer")
                .put("access_token", "oat-" + m.group(1) + "-" + next + "-rotated")
                .put("refresh_token", "ort-" + m.group(1) + "-" + next + "-rotated")
                .put("expires_in", 28800)
                .encode();
        CompletableFuture<Void> held = heldRefreshes.getOrDefault(token, CompletableFuture.completedFuture(null));
        held.whenComplete((v, t) -> vertx.runOnContext(x ->
                req.response().putHeader("content-type", "application/json").end(answer)));
    }

    @Override
    public void close() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}

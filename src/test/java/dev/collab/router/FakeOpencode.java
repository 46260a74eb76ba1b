package dev.collab.router;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A fake opencode server on 127.0.0.1: requires HTTP Basic opencode:&lt;password&gt; like the real one, echoes
 * requests, streams uploads and downloads, serves SSE driven by the test, echoes WebSocket frames.
 */
final class FakeOpencode implements AutoCloseable {
    final String name;
    final String password;
    final BlockingQueue<HttpServerResponse> sseStreams = new LinkedBlockingQueue<>();
    volatile MultiMap lastHeaders;
    volatile String lastUri;
    volatile String lastWebSocketAuthorization;
    volatile String lastWebSocketCookie;
    /** Requests that reached this server (WebSocket upgrades included). */
    final java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();
    private HttpServer server;

    FakeOpencode(String name, String password) {
        this.name = name;
        this.password = password;
    }

    FakeOpencode start(Vertx vertx) throws Exception {
        server = vertx.createHttpServer().webSocketHandler(ws -> {
            received.incrementAndGet();
            lastWebSocketAuthorization = ws.headers().get("Authorization");
            lastWebSocketCookie = ws.headers().get("Cookie");
            if (!expectedAuthorization().equals(lastWebSocketAuthorization)) {
                ws.reject(401);
                return;
            }
            ws.textMessageHandler(ws::writeTextMessage);
            ws.binaryMessageHandler(ws::writeBinaryMessage);
        }).requestHandler(this::handle);
        server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        return this;
    }

    int port() {
        return server.actualPort();
    }

    String endpoint() {
        return "http://127.0.0.1:" + port();
    }

    String expectedAuthorization() {
        return "Basic " + Base64.getEncoder().encodeToString(("opencode:" + password).getBytes(StandardCharsets.UTF_8));
    }

    private void handle(HttpServerRequest req) {
        lastHeaders = MultiMap.caseInsensitiveMultiMap().addAll(req.headers());
        lastUri = req.uri();
        received.incrementAndGet();
        HttpServerResponse resp = req.response();
        if (!expectedAuthorization().equals(req.getHeader("Authorization"))) {
            resp.setStatusCode(401).end("{\"name\":\"Unauthorized\"}");
            return;
        }
        switch (route(req.path())) {
            case "/session/upload/message" -> {
                MessageDigest digest = sha256();
                long[] length = { 0 };
                req.handler(buf -> {
                    digest.update(buf.getBytes());
                    length[0] += buf.length();
                });
                req.endHandler(v -> resp.putHeader("Content-Type", "application/json").end(new JsonObject()
                        .put("sha256", HexFormat.of().formatHex(digest.digest())).put("length", length[0]).encode()));
            }
            case "/download" -> {
                long size = Long.parseLong(req.getParam("size"));
                resp.setChunked(true).putHeader("Content-Type", "application/octet-stream");
                download(resp, size, 0);
            }
            case "/event" -> {
                resp.setChunked(true).putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control", "no-cache");
                resp.writeHead();
                sseStreams.add(resp);
            }
            case "/config/providers" -> resp.putHeader("Content-Type", "application/json").end(new JsonObject()
                    .put("providers", new io.vertx.core.json.JsonArray()
                            .add(new JsonObject().put("id", "anthropic").put("key", "sk-ant-secret-1")
                                    .put("options", new JsonObject().put("apiKey", "sk-ant-secret-2").put("baseURL", "https://x/v1")))
                            .add(new JsonObject().put("id", "openai").put("info", new JsonObject().put("type", "oauth")
                                    .put("access", "oauth-access-secret").put("refresh", "oauth-refresh-secret").put("expires", 1))))
                    .put("default", new JsonObject().put("anthropic", "claude")).encode());
            case "/config", "/global/config" -> resp.putHeader("Content-Type", "application/json").end(config().encode());
            case "/provider" -> resp.putHeader("Content-Type", "application/json").end(new JsonObject()
                    .put("all", new io.vertx.core.json.JsonArray().add(new JsonObject().put("id", "anthropic")
                            .put("key", "sk-provider-auth-secret").put("env", new io.vertx.core.json.JsonArray().add("ANTHROPIC_API_KEY"))
                            .put("options", new JsonObject().put("apiKey", "sk-provider-options-secret")
                                    .put("baseURL", "https://x/v1"))))
                    .put("connected", new io.vertx.core.json.JsonArray().add("anthropic")).encode());
            case "/slow" -> {
                // never answers: the router's upstream timeout applies
            }
            default -> req.body().onSuccess(body -> {
                JsonObject headers = new JsonObject();
                for (Map.Entry<String, String> e : req.headers()) {
                    headers.put(e.getKey().toLowerCase(), e.getValue());
                }
                resp.putHeader("Content-Type", "application/json").putHeader("X-Backend", name)
                        .putHeader("Connection", "keep-alive, X-Hop").putHeader("X-Hop", "must-not-pass")
                        .end(new JsonObject().put("backend", name).put("method", req.method().name()).put("uri", req.uri())
                                .put("headers", headers).put("bodyLength", body.length()).encode());
            });
        }
    }

    /** Shaped like opencode's GET /config: provider options and MCP servers with their own secrets. */
    static JsonObject config() {
        return new JsonObject().put("provider", new JsonObject().put("anthropic", new JsonObject().put("options",
                new JsonObject().put("apiKey", "sk-config-secret").put("baseURL", "https://x/v1")
                        .put("headers", new JsonObject().put("X-Custom-Auth", "header-secret")))))
                .put("mcp", new JsonObject().put("gh", new JsonObject().put("type", "local").put("environment",
                        new JsonObject().put("GITHUB_TOKEN", "mcp-env-secret"))).put("remote", new JsonObject()
                        .put("type", "remote").put("headers", new JsonObject().put("Authorization", "Bearer mcp-header-secret"))));
    }

    /**
     * The route a path reaches in opencode 1.18.33 (measured against the real server): case-insensitive, the path
     * ends at the first ';', double and trailing slashes do not count.
     */
    static String route(String path) {
        int semicolon = path.indexOf(';');
        String p = (semicolon >= 0 ? path.substring(0, semicolon) : path).toLowerCase(java.util.Locale.ROOT).replaceAll("/{2,}", "/");
        return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    /** Deterministic content: byte i is (i * 31) & 0xff. */
    static byte[] pattern(long offset, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (((offset + i) * 31) & 0xff);
        }
        return b;
    }

    private static void download(HttpServerResponse resp, long size, long sent) {
        long offset = sent;
        while (offset < size && !resp.writeQueueFull()) {
            int n = (int) Math.min(64 * 1024, size - offset);
            resp.write(Buffer.buffer(pattern(offset, n)));
            offset += n;
        }
        if (offset >= size) {
            resp.end();
            return;
        }
        long next = offset;
        resp.drainHandler(v -> download(resp, size, next));
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws Exception {
        if (server != null) {
            server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }
}

package dev.collab.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.collab.api.CollabSession;
import dev.collab.api.SessionPhase;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;
import io.vertx.ext.web.RoutingContext;
import java.net.ConnectException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/** {@code ANY /s/{session}/{path...}}: authenticates, wakes, and streams the request to the session's opencode. */
class ProxyHandler implements Handler<RoutingContext> {
    private static final Logger LOG = Logger.getLogger(ProxyHandler.class);

    /** Hop-by-hop headers (RFC 9110 section 7.6.1) plus those the router sets itself. */
    private static final Set<String> DROPPED_REQUEST_HEADERS = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host",
            "authorization", "cookie", "expect", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
            "x-forwarded-prefix", "forwarded");
    private static final Set<String> DROPPED_RESPONSE_HEADERS = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");
    private static final Set<HttpMethod> READ_METHODS = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);
    private static final Pattern REPEATED_SLASHES = Pattern.compile("/{2,}");
    private static final Pattern OAUTH_PATH = Pattern.compile("^/provider/[^/]+/oauth(/.*)?$");
    private static final Set<String> REDACTED_FIELDS = Set.of("key", "access", "refresh", "apiKey");
    static final String REDACTED = "[redacted]";
    private static final int RETRY_AFTER_SECONDS = 5;

    private final Vertx vertx;
    private final java.util.function.Supplier<HttpClient> clients;
    private final SessionDirectory directory;
    private final ActivityTracker activity;
    private final RouterSettings settings;
    private final RouterMetrics metrics;
    private final ObjectMapper mapper = new ObjectMapper();

    ProxyHandler(Vertx vertx, java.util.function.Supplier<HttpClient> clients, SessionDirectory directory, ActivityTracker activity, RouterSettings settings,
            RouterMetrics metrics) {
        this.vertx = vertx;
        this.clients = clients;
        this.directory = directory;
        this.activity = activity;
        this.settings = settings;
        this.metrics = metrics;
    }

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest req = ctx.request();
        req.pause();
        HttpServerResponse resp = ctx.response();
        String name = ctx.pathParam("session");
        ctx.addEndHandler(v -> metrics.request(resp.getStatusCode()));
        if (!directory.synced()) {
            HttpErrors.send(resp, 503, "router is starting: session directory not synced yet", name, 1);
            return;
        }
        String bearer = Tokens.bearer(req);
        String queryToken = req.getParam(Tokens.QUERY_PARAM);
        String presented = bearer != null ? bearer : queryToken != null ? queryToken : Tokens.cookie(req);
        if (presented == null) {
            HttpErrors.send(resp, 401, "session token required", name);
            return;
        }
        List<CollabSession> found = directory.find(name);
        if (found.isEmpty()) {
            HttpErrors.send(resp, 404, "unknown session", name);
            return;
        }
        if (found.size() > 1) {
            HttpErrors.send(resp, 409, "session name exists in several namespaces", name);
            return;
        }
        CollabSession cs = found.get(0);
        SessionDirectory.Access access = directory.access(cs).orElse(null);
        if (access == null) {
            HttpErrors.send(resp, 503, "session access secret not ready", name, RETRY_AFTER_SECONDS);
            return;
        }
        if (!Tokens.matches(presented, access.token())) {
            HttpErrors.send(resp, 403, "wrong token for this session", name);
            return;
        }
        String query = Tokens.queryWithoutToken(req.query());
        if (queryToken != null && bearer == null) {
            // One-time token: becomes a cookie scoped to the session, and the URL loses it.
            String location = req.path() + (query == null ? "" : "?" + query);
            resp.putHeader(HttpHeaders.SET_COOKIE, Tokens.setCookie(name, queryToken))
                    .putHeader(HttpHeaders.LOCATION, location).putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                    .setStatusCode(READ_METHODS.contains(req.method()) ? 302 : 307).end();
            return;
        }
        long contentLength = contentLength(req);
        if (contentLength > settings.maxBody()) {
            HttpErrors.send(resp, 413, "request body larger than " + settings.maxBody() + " bytes", name);
            return;
        }
        String rest = upstreamPath(ctx.normalizedPath(), name);
        if (!READ_METHODS.contains(req.method()) && (rest.equals("/auth") || rest.startsWith("/auth/")
                || OAUTH_PATH.matcher(rest).matches())) {
            HttpErrors.send(resp, 403, "opencode credential endpoints are not reachable through the router; "
                    + "use PUT /collab/session/{session}/credentials/{key}", name);
            return;
        }
        String uri = rest + (query == null ? "" : "?" + query);
        route(ctx, cs, access, uri);
    }

    private void route(RoutingContext ctx, CollabSession cs, SessionDirectory.Access access, String uri) {
        String name = cs.getMetadata().getName();
        if (SessionDirectory.suspended(cs)) {
            HttpErrors.send(ctx.response(), 409, "session is suspended", name);
            return;
        }
        if (endpoint(cs) != null) {
            activity.mark(cs);
            forward(ctx, cs, access, uri);
            return;
        }
        if (cs.getStatus() != null && cs.getStatus().getPhase() == SessionPhase.Failed) {
            HttpErrors.send(ctx.response(), 503, "session failed to start", name, RETRY_AFTER_SECONDS * 6);
            return;
        }
        if (SessionDirectory.wakes(cs)) {
            activity.markNow(cs);
        }
        awaitEndpoint(ctx, cs, uri);
    }

    /** Holds the request (paused) until the informer shows an endpoint, for at most wake-wait. */
    private void awaitEndpoint(RoutingContext ctx, CollabSession cs, String uri) {
        String ns = cs.getMetadata().getNamespace();
        String name = cs.getMetadata().getName();
        Context context = vertx.getOrCreateContext();
        AtomicBoolean done = new AtomicBoolean();
        long[] timer = { -1 };
        AutoCloseable[] registration = new AutoCloseable[1];
        Runnable finish = () -> {
            if (timer[0] >= 0) {
                vertx.cancelTimer(timer[0]);
            }
            try {
                registration[0].close();
            } catch (Exception e) {
                // nothing to release
            }
        };
        Handler<Void> check = v -> {
            if (done.get()) {
                return;
            }
            CollabSession now = directory.get(ns, name).orElse(null);
            if (now == null) {
                if (done.compareAndSet(false, true)) {
                    finish.run();
                    HttpErrors.send(ctx.response(), 404, "session was deleted", name);
                }
            } else if (SessionDirectory.suspended(now)) {
                if (done.compareAndSet(false, true)) {
                    finish.run();
                    HttpErrors.send(ctx.response(), 409, "session is suspended", name);
                }
            } else if (endpoint(now) != null) {
                SessionDirectory.Access access = directory.access(now).orElse(null);
                if (access != null && done.compareAndSet(false, true)) {
                    finish.run();
                    metrics.wake(true);
                    activity.mark(now);
                    forward(ctx, now, access, uri);
                }
            }
        };
        registration[0] = directory.listen(ns, name, updated -> context.runOnContext(check));
        timer[0] = vertx.setTimer(Math.max(1, settings.wakeWait().toMillis()), id -> {
            if (done.compareAndSet(false, true)) {
                timer[0] = -1;
                finish.run();
                metrics.wake(false);
                HttpErrors.send(ctx.response(), 503, "session is starting", name,
                        (int) Math.max(1, Math.min(RETRY_AFTER_SECONDS, settings.wakeWait().toSeconds())));
            }
        });
        check.handle(null);
    }

    private static String endpoint(CollabSession cs) {
        return cs.getStatus() == null ? null : blankToNull(cs.getStatus().getEndpoint());
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private void forward(RoutingContext ctx, CollabSession cs, SessionDirectory.Access access, String uri) {
        HttpServerRequest req = ctx.request();
        HttpServerResponse resp = ctx.response();
        String name = cs.getMetadata().getName();
        if (resp.closed()) {
            return;
        }
        URI endpoint;
        try {
            endpoint = URI.create(endpoint(cs));
        } catch (IllegalArgumentException e) {
            HttpErrors.send(resp, 502, "session endpoint is invalid", name);
            return;
        }
        boolean upgrade = isWebSocketUpgrade(req);
        boolean redact = req.method() == HttpMethod.GET && redacted(uri);
        RequestOptions options = new RequestOptions().setMethod(req.method()).setHost(endpoint.getHost())
                .setPort(endpoint.getPort() > 0 ? endpoint.getPort() : 80).setURI(uri);
        MultiMap headers = upstreamHeaders(req, name, access, upgrade);
        if (redact) {
            headers.set(HttpHeaders.ACCEPT_ENCODING, "identity");
        }
        options.setHeaders(headers);
        long started = System.nanoTime();
        clients.get().request(options).onComplete(ar -> {
            if (ar.failed()) {
                upstreamFailed(resp, name, ar.cause());
                return;
            }
            HttpClientRequest up = ar.result();
            // Failures surface through the response future; resets we make ourselves are expected.
            up.exceptionHandler(err -> LOG.debugf("upstream request of %s ended: %s", name, err.toString()));
            if (upgrade) {
                tunnel(req, resp, up, cs);
                return;
            }
            long timer = upstreamTimer(resp, up, name);
            up.response().onComplete(rar -> {
                vertx.cancelTimer(timer);
                if (rar.failed()) {
                    upstreamFailed(resp, name, rar.cause());
                    return;
                }
                metrics.upstreamLatency(System.nanoTime() - started);
                respond(req, resp, rar.result(), cs, redact);
            });
            resp.closeHandler(v -> up.reset());
            sendBody(req, resp, up, cs);
        });
    }

    private void upstreamFailed(HttpServerResponse resp, String name, Throwable cause) {
        if (cause instanceof TimeoutException || cause instanceof io.netty.channel.ConnectTimeoutException) {
            HttpErrors.send(resp, 504, "session did not answer in time", name);
        } else if (cause instanceof ConnectException) {
            HttpErrors.send(resp, 502, "session refused the connection", name);
        } else {
            HttpErrors.send(resp, 502, "session connection failed", name);
        }
        if (!resp.ended() && !resp.closed()) {
            resp.reset();
        }
    }

    private MultiMap upstreamHeaders(HttpServerRequest req, String name, SessionDirectory.Access access, boolean upgrade) {
        MultiMap in = req.headers();
        Set<String> connectionTokens = new java.util.HashSet<>();
        for (String c : in.getAll(HttpHeaders.CONNECTION)) {
            for (String t : c.split(",")) {
                connectionTokens.add(t.trim().toLowerCase(Locale.ROOT));
            }
        }
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        for (Map.Entry<String, String> e : in) {
            String h = e.getKey().toLowerCase(Locale.ROOT);
            if (!DROPPED_REQUEST_HEADERS.contains(h) && !connectionTokens.contains(h)) {
                out.add(e.getKey(), e.getValue());
            }
        }
        if (upgrade) {
            out.set(HttpHeaders.CONNECTION, "Upgrade");
            out.set(HttpHeaders.UPGRADE, "websocket");
        }
        String cookies = Tokens.cookiesWithoutOurs(in.getAll(HttpHeaders.COOKIE));
        if (cookies != null) {
            out.set(HttpHeaders.COOKIE, cookies);
        }
        out.set(HttpHeaders.AUTHORIZATION, "Basic " + Base64.getEncoder()
                .encodeToString(("opencode:" + access.serverPassword()).getBytes(StandardCharsets.UTF_8)));
        String remote = req.remoteAddress() == null ? "unknown" : req.remoteAddress().hostAddress();
        String xff = in.get("X-Forwarded-For");
        out.set("X-Forwarded-For", xff == null || xff.isBlank() ? remote : xff + ", " + remote);
        String proto = in.get("X-Forwarded-Proto");
        out.set("X-Forwarded-Proto", proto != null ? proto : req.isSSL() ? "https" : "http");
        String host = in.get("X-Forwarded-Host");
        String authority = req.authority() == null ? null : req.authority().toString();
        if (host != null || authority != null) {
            out.set("X-Forwarded-Host", host != null ? host : authority);
        }
        out.set("X-Forwarded-Prefix", "/s/" + name);
        return out;
    }

    /** Streams the request body upstream with backpressure, capped at max-body. */
    private void sendBody(HttpServerRequest req, HttpServerResponse resp, HttpClientRequest up, CollabSession cs) {
        String name = cs.getMetadata().getName();
        boolean hasLength = req.headers().contains(HttpHeaders.CONTENT_LENGTH);
        boolean chunked = !hasLength && req.headers().contains(HttpHeaders.TRANSFER_ENCODING);
        if (chunked) {
            up.setChunked(true);
        }
        if ("100-continue".equalsIgnoreCase(req.getHeader(HttpHeaders.EXPECT))) {
            resp.writeContinue();
        }
        long[] received = { 0 };
        boolean[] tooLarge = { false };
        req.handler(buf -> {
            if (tooLarge[0]) {
                return;
            }
            received[0] += buf.length();
            if (received[0] > settings.maxBody()) {
                tooLarge[0] = true;
                if (resp.headWritten()) {
                    resp.reset();
                } else {
                    // The rest of the body is not read: answer, then close the connection.
                    resp.putHeader(HttpHeaders.CONNECTION, "close");
                    HttpErrors.send(resp, 413, "request body larger than " + settings.maxBody() + " bytes", name);
                    vertx.setTimer(200, id -> req.connection().close());
                }
                up.reset();
                return;
            }
            activity.mark(cs);
            up.write(buf);
            if (up.writeQueueFull()) {
                req.pause();
                up.drainHandler(v -> req.resume());
            }
        });
        req.endHandler(v -> {
            if (!tooLarge[0]) {
                up.end();
            }
        });
        req.exceptionHandler(err -> up.reset());
        req.resume();
    }

    private void respond(HttpServerRequest req, HttpServerResponse resp, HttpClientResponse upResp, CollabSession cs, boolean redact) {
        if (resp.ended() || resp.closed() || resp.headWritten()) {
            upResp.request().reset();
            return;
        }
        if (redact && upResp.statusCode() / 100 == 2) {
            upResp.body().onComplete(bar -> {
                if (bar.failed()) {
                    HttpErrors.send(resp, 502, "session response failed", cs.getMetadata().getName());
                    return;
                }
                Buffer redacted;
                try {
                    JsonNode node = mapper.readTree(bar.result().getBytes());
                    redactSecrets(node);
                    redacted = Buffer.buffer(mapper.writeValueAsBytes(node));
                } catch (Exception e) {
                    HttpErrors.send(resp, 502, "session answered /config/providers with something that is not JSON",
                            cs.getMetadata().getName());
                    return;
                }
                copyResponseHead(upResp, resp);
                resp.headers().remove(HttpHeaders.CONTENT_LENGTH).remove(HttpHeaders.CONTENT_ENCODING);
                resp.end(redacted);
            });
            return;
        }
        copyResponseHead(upResp, resp);
        int status = upResp.statusCode();
        boolean bodyless = req.method() == HttpMethod.HEAD || status == 204 || status == 304 || status / 100 == 1;
        if (!bodyless && !upResp.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
            resp.setChunked(true);
        }
        String type = upResp.getHeader(HttpHeaders.CONTENT_TYPE);
        boolean stream = type != null && type.toLowerCase(Locale.ROOT).startsWith("text/event-stream");
        AtomicBoolean open = new AtomicBoolean(stream);
        if (stream) {
            metrics.streamOpened();
            // SSE must not be buffered by anything behind the router either.
            resp.putHeader("X-Accel-Buffering", "no");
            if (!resp.headers().contains(HttpHeaders.CACHE_CONTROL)) {
                resp.putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
            }
        }
        Runnable closed = () -> {
            if (open.compareAndSet(true, false)) {
                metrics.streamClosed();
            }
        };
        if (stream) {
            // Headers go out now: the client sees the stream open before the first event.
            resp.writeHead();
        }
        pump(upResp, resp, () -> activity.mark(cs));
        upResp.endHandler(v -> {
            closed.run();
            resp.end();
        });
        upResp.exceptionHandler(err -> {
            closed.run();
            if (!resp.ended() && !resp.closed()) {
                resp.reset();
            }
        });
        resp.closeHandler(v -> {
            closed.run();
            upResp.request().reset();
        });
    }

    private static void copyResponseHead(HttpClientResponse upResp, HttpServerResponse resp) {
        resp.setStatusCode(upResp.statusCode());
        if (upResp.statusMessage() != null) {
            resp.setStatusMessage(upResp.statusMessage());
        }
        Set<String> connectionTokens = new java.util.HashSet<>();
        for (String c : upResp.headers().getAll(HttpHeaders.CONNECTION)) {
            for (String t : c.split(",")) {
                connectionTokens.add(t.trim().toLowerCase(Locale.ROOT));
            }
        }
        for (Map.Entry<String, String> e : upResp.headers()) {
            String h = e.getKey().toLowerCase(Locale.ROOT);
            if (!DROPPED_RESPONSE_HEADERS.contains(h) && !connectionTokens.contains(h)) {
                resp.headers().add(e.getKey(), e.getValue());
            }
        }
    }

    /** Copies chunks from in to out as they come, pausing in while out is full. */
    private static void pump(ReadStream<Buffer> in, WriteStream<Buffer> out, Runnable onChunk) {
        in.handler(buf -> {
            onChunk.run();
            out.write(buf);
            if (out.writeQueueFull()) {
                in.pause();
                out.drainHandler(v -> in.resume());
            }
        });
    }

    /** 504 and an upstream reset when opencode sends no response headers within collab.router.upstream-timeout. */
    private long upstreamTimer(HttpServerResponse resp, HttpClientRequest up, String name) {
        return vertx.setTimer(Math.max(1, settings.upstreamTimeout().toMillis()), id -> {
            HttpErrors.send(resp, 504, "session did not answer in time", name);
            up.reset(0, new TimeoutException());
        });
    }

    /** WebSocket: forwards the upgrade, then splices the two TCP streams. */
    private void tunnel(HttpServerRequest req, HttpServerResponse resp, HttpClientRequest up, CollabSession cs) {
        String name = cs.getMetadata().getName();
        long timer = upstreamTimer(resp, up, name);
        up.connect().onComplete(ar -> {
            vertx.cancelTimer(timer);
            if (ar.failed()) {
                upstreamFailed(resp, name, ar.cause());
                return;
            }
            HttpClientResponse upResp = ar.result();
            if (upResp.statusCode() != 101) {
                respond(req, resp, upResp, cs, false);
                req.resume();
                return;
            }
            resp.setStatusCode(101);
            for (Map.Entry<String, String> e : upResp.headers()) {
                resp.headers().add(e.getKey(), e.getValue());
            }
            NetSocket upstream = upResp.netSocket();
            req.resume();
            req.toNetSocket().onComplete(sar -> {
                if (sar.failed()) {
                    upstream.close();
                    return;
                }
                NetSocket downstream = sar.result();
                metrics.streamOpened();
                AtomicBoolean open = new AtomicBoolean(true);
                Runnable mark = () -> activity.mark(cs);
                pump(downstream, upstream, mark);
                pump(upstream, downstream, mark);
                Handler<Void> closeBoth = v -> {
                    if (open.compareAndSet(true, false)) {
                        metrics.streamClosed();
                    }
                    downstream.close();
                    upstream.close();
                };
                downstream.closeHandler(closeBoth);
                upstream.closeHandler(closeBoth);
                downstream.exceptionHandler(err -> closeBoth.handle(null));
                upstream.exceptionHandler(err -> closeBoth.handle(null));
            });
        });
    }

    /** GET /config/providers (and GET /config, which can carry provider options with an apiKey) are redacted. */
    static boolean redacted(String uri) {
        String path = uri.contains("?") ? uri.substring(0, uri.indexOf('?')) : uri;
        if (path.endsWith("/") && path.length() > 1) {
            path = path.substring(0, path.length() - 1);
        }
        return path.equals("/config/providers") || path.equals("/config");
    }

    static boolean isWebSocketUpgrade(HttpServerRequest req) {
        if (req.method() != HttpMethod.GET) {
            return false;
        }
        String upgrade = req.getHeader(HttpHeaders.UPGRADE);
        String connection = req.getHeader(HttpHeaders.CONNECTION);
        return upgrade != null && upgrade.equalsIgnoreCase("websocket") && connection != null
                && connection.toLowerCase(Locale.ROOT).contains("upgrade");
    }

    static long contentLength(HttpServerRequest req) {
        String cl = req.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (cl == null) {
            return -1;
        }
        try {
            return Long.parseLong(cl.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The path after /s/{session}, with repeated slashes folded; "/" when empty. */
    static String upstreamPath(String normalizedPath, String session) {
        String prefix = "/s/" + session;
        String rest = normalizedPath.startsWith(prefix) ? normalizedPath.substring(prefix.length()) : normalizedPath;
        if (rest.contains("//")) {
            rest = REPEATED_SLASHES.matcher(rest).replaceAll("/");
        }
        return rest.isEmpty() ? "/" : rest.startsWith("/") ? rest : "/" + rest;
    }

    /** Replaces the string values of secret fields anywhere in the tree. */
    static void redactSecrets(JsonNode node) {
        if (node instanceof ObjectNode obj) {
            Iterator<Map.Entry<String, JsonNode>> fields = obj.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                if (REDACTED_FIELDS.contains(f.getKey()) && f.getValue().isValueNode() && !f.getValue().isNull()) {
                    f.setValue(TextNode.valueOf(REDACTED));
                } else {
                    redactSecrets(f.getValue());
                }
            }
        } else if (node instanceof ArrayNode arr) {
            arr.forEach(ProxyHandler::redactSecrets);
        }
    }
}

package dev.collab.router;

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
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;
import java.net.ConnectException;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Pipeline step: sends the request to the session's opencode and relays the response (streamed, SSE unbuffered,
 * or through a {@link ResponseTransform}); WebSocket upgrades go to {@link WebSocketTunnel}.
 */
final class UpstreamRelay {
    private static final Logger LOG = Logger.getLogger(UpstreamRelay.class);

    private final Vertx vertx;
    private final Supplier<HttpClient> clients;
    private final ActivityTracker activity;
    private final RouterMetrics metrics;
    private final RequestBodyCap bodyCap;
    private final Duration upstreamTimeout;
    private final WebSocketTunnel tunnel;
    private UpstreamRetry retry;
    private final Map<String, URI> endpoints = new ConcurrentHashMap<>();
    private static final int MAX_CACHED_ENDPOINTS = 10_000;

    UpstreamRelay(
            Vertx vertx,
            Supplier<HttpClient> clients,
            ActivityTracker activity,
            RouterMetrics metrics,
            RequestBodyCap bodyCap,
            Duration upstreamTimeout) {
        this.vertx = vertx;
        this.clients = clients;
        this.activity = activity;
        this.metrics = metrics;
        this.bodyCap = bodyCap;
        this.upstreamTimeout = upstreamTimeout;
        this.tunnel = new WebSocketTunnel(this, activity, metrics);
    }

    /** Failed requests that are safe to send again wait for the session's next worker (null: none is retried). */
    UpstreamRelay retryWith(UpstreamRetry retry) {
        this.retry = retry;
        return this;
    }

    void forward(ProxyExchange ex) {
        HttpServerRequest req = ex.request();
        HttpServerResponse resp = ex.response();
        String name = ex.name;
        if (resp.closed()) {
            return;
        }
        String target = WakeWait.endpoint(ex.session);
        URI endpoint;
        try {
            endpoint = endpoint(target);
        } catch (IllegalArgumentException e) {
            HttpErrors.send(resp, 502, "session endpoint is invalid", name);
            return;
        }
        boolean upgrade = WebSocketTunnel.isUpgrade(req);
        RequestOptions options = new RequestOptions()
                .setMethod(req.method())
                .setHost(endpoint.getHost())
                .setPort(endpoint.getPort() > 0 ? endpoint.getPort() : 80)
                .setURI(ex.uri);
        long started = System.nanoTime();
        clients.get().request(options).onComplete(ar -> {
            if (ar.failed()) {
                failed(ex, target, false, ar.cause()); // no connection: the worker never saw the request
                return;
            }
            HttpClientRequest up = ar.result();
            // Straight into the request's own headers: options.setHeaders would copy a map built for it.
            HeaderRewrite.upstream(req, ex.prefix, ex.access, upgrade, up.headers());
            if (ex.transform != null || !ex.secretValues.isEmpty()) {
                // transforms and the stream redaction read the body as opencode writes it: never compressed
                up.headers().set(HttpHeaders.ACCEPT_ENCODING, "identity");
            }
            // Failures surface through the response future; resets we make ourselves are expected.
            up.exceptionHandler(err -> LOG.debugf("upstream request of %s ended: %s", name, err.toString()));
            if (upgrade) {
                tunnel.open(ex, up);
                return;
            }
            long timer = upstreamTimer(resp, up, name);
            up.response().onComplete(rar -> {
                vertx.cancelTimer(timer);
                if (rar.failed()) {
                    failed(ex, target, true, rar.cause());
                    return;
                }
                metrics.upstreamLatency(System.nanoTime() - started);
                respond(ex, rar.result(), ex.transform != null);
            });
            resp.closeHandler(v -> up.reset());
            sendBody(ex, up);
        });
    }

    /** Streams the client's body upstream, keeping a copy of an idempotent one; a retry sends that copy. */
    private void sendBody(ProxyExchange ex, HttpClientRequest up) {
        if (!ex.bodyStreamed) {
            if (!ex.retried && UpstreamRetry.idempotent(ex.request().method())) {
                ex.body = new ReplayableBody();
            }
            bodyCap.stream(ex, up);
        } else if (ex.body.whole().length() == 0) {
            up.end();
        } else {
            up.end(ex.body.whole());
        }
    }

    /** The worker failed before any response: held for its next worker when that is safe, else 502 (or 504). */
    private void failed(ProxyExchange ex, String target, boolean delivered, Throwable cause) {
        if (retry == null || !retry.tryAgain(ex, target, delivered, cause, this::forward)) {
            upstreamFailed(ex.response(), ex.name, cause);
        }
    }

    /** Parsed session endpoints: URI parsing showed in the per-request profile (bench/router/RESULTS.md). */
    private URI endpoint(String endpoint) {
        URI uri = endpoints.get(endpoint);
        if (uri == null) {
            uri = URI.create(endpoint);
            if (endpoints.size() >= MAX_CACHED_ENDPOINTS) {
                endpoints.clear(); // endpoints change when pods are replaced; a bound keeps stale ones from piling up
            }
            endpoints.put(endpoint, uri);
        }
        return uri;
    }

    static void upstreamFailed(HttpServerResponse resp, String name, Throwable cause) {
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

    void respond(ProxyExchange ex, HttpClientResponse upResp, boolean transform) {
        HttpServerRequest req = ex.request();
        HttpServerResponse resp = ex.response();
        if (resp.ended() || resp.closed() || resp.headWritten()) {
            upResp.request().reset();
            return;
        }
        if (transform && upResp.statusCode() / 100 == 2) {
            transformed(ex, upResp);
            return;
        }
        HeaderRewrite.copyResponseHead(upResp, resp, ex.prefix);
        int status = upResp.statusCode();
        boolean bodyless = req.method() == HttpMethod.HEAD || status == 204 || status == 304 || status / 100 == 1;
        String type = upResp.getHeader(HttpHeaders.CONTENT_TYPE);
        StreamRedactor redactor =
                bodyless || !StreamRedactor.applies(type, ex.uri) ? null : new StreamRedactor(ex.secretValues);
        if (redactor != null && redactor.active()) {
            // a redacted body has another length: it goes chunked
            resp.headers().remove(HttpHeaders.CONTENT_LENGTH);
        } else {
            redactor = null;
        }
        if (!bodyless && !resp.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
            resp.setChunked(true);
        }
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
        StreamRedactor redacting = redactor;
        pump(upResp, resp, () -> activity.mark(ex.session), redacting);
        upResp.endHandler(v -> {
            closed.run();
            if (redacting != null) {
                resp.end(redacting.finish());
            } else {
                resp.end();
            }
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

    /** Buffers the upstream body and sends what the exchange's transform makes of it. */
    private void transformed(ProxyExchange ex, HttpClientResponse upResp) {
        HttpServerResponse resp = ex.response();
        upResp.body().onComplete(bar -> {
            if (bar.failed()) {
                HttpErrors.send(resp, 502, "session response failed", ex.name);
                return;
            }
            vertx.executeBlocking(() -> ex.transform.transform(bar.result()), false)
                    .onComplete(tar -> {
                        if (resp.closed()) {
                            return;
                        }
                        if (tar.failed()) {
                            HttpErrors.send(resp, 502, ex.transform.failure(), ex.name);
                            return;
                        }
                        HeaderRewrite.copyResponseHead(upResp, resp, ex.prefix);
                        resp.headers().remove(HttpHeaders.CONTENT_LENGTH).remove(HttpHeaders.CONTENT_ENCODING);
                        resp.end(tar.result());
                    });
        });
    }

    /** Copies chunks from in to out as they come, pausing in while out is full. */
    static void pump(ReadStream<Buffer> in, WriteStream<Buffer> out, Runnable onChunk) {
        pump(in, out, onChunk, null);
    }

    /** The same, each chunk passed through the redactor first (null: as it is). */
    static void pump(ReadStream<Buffer> in, WriteStream<Buffer> out, Runnable onChunk, StreamRedactor redactor) {
        in.handler(buf -> {
            onChunk.run();
            Buffer chunk = redactor == null ? buf : redactor.feed(buf);
            if (chunk.length() > 0) { // all of it held back (a possible secret's start): nothing to send yet
                out.write(chunk);
            }
            if (out.writeQueueFull()) {
                in.pause();
                out.drainHandler(v -> in.resume());
            }
        });
    }

    /** 504 and an upstream reset when opencode sends no response headers within collab.router.upstream-timeout. */
    long upstreamTimer(HttpServerResponse resp, HttpClientRequest up, String name) {
        return vertx.setTimer(Math.max(1, upstreamTimeout.toMillis()), id -> {
            HttpErrors.send(resp, 504, "session did not answer in time", name);
            up.reset(0, new TimeoutException());
        });
    }

    void cancelTimer(long timer) {
        vertx.cancelTimer(timer);
    }
}

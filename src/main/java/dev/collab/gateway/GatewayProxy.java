package dev.collab.gateway;

import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.RoutingContext;
import java.net.ConnectException;
import java.net.URI;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * {@code ANY /v1/*} from a Gateway-mode session pod: authenticate the placeholder (and the pod IP), swap in the real
 * credential, stream both ways chunk by chunk (no buffering), count usage from the response as it passes.
 * Named steps in order: placeholder, target, source address, real credential, forward, relay.
 */
final class GatewayProxy implements Handler<RoutingContext> {
    private static final Logger LOG = Logger.getLogger(GatewayProxy.class);
    /** The Messages API's own request limit. */
    static final long MAX_BODY = 32L * 1024 * 1024;

    private final Vertx vertx;
    private final Supplier<HttpClient> clients;
    private final GatewayDirectory directory;
    private final UsageLedger ledger;
    private final GatewayMetrics metrics;
    private final GatewaySettings settings;
    private final String upstreamBasePath;
    private final String upstreamHost;
    private final int upstreamPort;
    private final boolean upstreamTls;

    GatewayProxy(
            Vertx vertx,
            Supplier<HttpClient> clients,
            GatewayDirectory directory,
            UsageLedger ledger,
            GatewayMetrics metrics,
            GatewaySettings settings) {
        this.vertx = vertx;
        this.clients = clients;
        this.directory = directory;
        this.ledger = ledger;
        this.metrics = metrics;
        this.settings = settings;
        String path = settings.upstream().getRawPath() == null
                ? ""
                : settings.upstream().getRawPath();
        this.upstreamBasePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        URI upstream = settings.upstream();
        this.upstreamTls = "https".equalsIgnoreCase(upstream.getScheme());
        this.upstreamHost = upstream.getHost();
        this.upstreamPort = upstream.getPort() != -1 ? upstream.getPort() : upstreamTls ? 443 : 80;
    }

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest req = ctx.request();
        req.pause();
        HttpServerResponse resp = ctx.response();
        if (!directory.synced()) {
            refuse(resp, 503, "overloaded_error", "starting: session directory not synced yet", "starting");
            return;
        }
        GatewayHeaders.Presented presented = GatewayHeaders.presented(req);
        if (presented == null) {
            refuse(resp, 401, "authentication_error", "a session placeholder credential is required", "missing");
            return;
        }
        GatewayDirectory.Target target =
                directory.byPlaceholder(presented.value()).orElse(null);
        if (target == null) {
            refuse(
                    resp,
                    403,
                    "permission_error",
                    "the credential is not a placeholder of any Gateway-mode session",
                    "unknown");
            return;
        }
        if (settings.checkSourceIp() && !fromSessionPod(req, target)) {
            refuse(
                    resp,
                    403,
                    "permission_error",
                    "placeholder of session " + target.name() + " presented from an address other than its pod",
                    "address");
            return;
        }
        RealCredentials.Credential credential = directory
                .credentials(target)
                .map(c -> c.choose(presented.kind()))
                .orElse(null);
        if (credential == null) {
            refuse(
                    resp,
                    503,
                    "api_error",
                    "the credential Secret of session " + target.name() + " holds no Anthropic credential",
                    "no-credential");
            return;
        }
        long length = contentLength(req);
        if (length > MAX_BODY) {
            refuse(resp, 413, "request_too_large", "request body larger than " + MAX_BODY + " bytes", "too-large");
            return;
        }
        forward(req, resp, target, credential);
    }

    private void refuse(HttpServerResponse resp, int status, String type, String message, String reason) {
        metrics.refused(reason);
        GatewayErrors.send(resp, status, type, message);
    }

    private static boolean fromSessionPod(HttpServerRequest req, GatewayDirectory.Target target) {
        String remote = req.remoteAddress() == null ? null : req.remoteAddress().hostAddress();
        return remote != null && target.podIp() != null && normalise(remote).equals(normalise(target.podIp()));
    }

    private static String normalise(String ip) {
        return ip.startsWith("::ffff:") ? ip.substring(7) : ip;
    }

    private void forward(
            HttpServerRequest req,
            HttpServerResponse resp,
            GatewayDirectory.Target target,
            RealCredentials.Credential credential) {
        RequestOptions options = new RequestOptions()
                .setMethod(req.method())
                // Host, port and scheme are the configured upstream's, parsed once (a URL parse per request was
                // profiled); path and query only from the client: an absolute-form target must not choose the host
                .setHost(upstreamHost)
                .setPort(upstreamPort)
                .setSsl(upstreamTls)
                .setURI(upstreamBasePath + req.path() + (req.query() == null ? "" : "?" + req.query()))
                .setHeaders(GatewayHeaders.upstreamHeaders(req.headers(), credential));
        boolean messages = req.method() == HttpMethod.POST && req.path().endsWith("/messages");
        metrics.opened();
        boolean[] counted = {false};
        Runnable done = () -> {
            if (!counted[0]) {
                counted[0] = true;
                metrics.closed();
            }
        };
        clients.get().request(options).onComplete(ar -> {
            if (ar.failed()) {
                done.run();
                upstreamFailed(resp, target, ar.cause());
                return;
            }
            HttpClientRequest up = ar.result();
            up.exceptionHandler(
                    err -> LOG.debugf("upstream request of session %s ended: %s", target.name(), err.toString()));
            long timer = vertx.setTimer(Math.max(1, settings.upstreamTimeout().toMillis()), id -> {
                upstreamFailed(resp, target, new TimeoutException());
                up.reset(0, new TimeoutException());
            });
            up.response().onComplete(rar -> {
                vertx.cancelTimer(timer);
                if (rar.failed()) {
                    done.run();
                    upstreamFailed(resp, target, rar.cause());
                    return;
                }
                relay(resp, rar.result(), target, messages, done);
            });
            resp.closeHandler(v -> {
                done.run();
                up.reset();
            });
            if (req.headers().contains(HttpHeaders.TRANSFER_ENCODING)
                    && !req.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
                up.setChunked(true);
            }
            req.pipeTo(up);
        });
    }

    private void relay(
            HttpServerResponse resp,
            HttpClientResponse upResp,
            GatewayDirectory.Target target,
            boolean messages,
            Runnable done) {
        if (resp.ended() || resp.closed() || resp.headWritten()) {
            done.run();
            upResp.request().reset();
            return;
        }
        resp.setStatusCode(upResp.statusCode());
        GatewayHeaders.copyResponseHeaders(upResp.headers(), resp.headers());
        if (!upResp.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
            resp.setChunked(true);
        }
        boolean counts = messages && upResp.statusCode() / 100 == 2;
        UsageTap tap = counts ? UsageTap.forContentType(upResp.getHeader(HttpHeaders.CONTENT_TYPE)) : null;
        if (String.valueOf(upResp.getHeader(HttpHeaders.CONTENT_TYPE)).startsWith("text/event-stream")) {
            resp.putHeader("X-Accel-Buffering", "no");
            resp.writeHead(); // the client sees the stream open before the first event
        }
        upResp.handler(buf -> {
            resp.write(buf); // first: the client's bytes never wait for the usage reader
            if (tap != null) {
                tap.feed(buf);
            }
            if (resp.writeQueueFull()) {
                upResp.pause();
                resp.drainHandler(v -> upResp.resume());
            }
        });
        upResp.endHandler(v -> {
            done.run();
            resp.end();
            if (tap != null) {
                ledger.record(target, tap.result());
            }
        });
        upResp.exceptionHandler(err -> {
            done.run();
            if (!resp.ended() && !resp.closed()) {
                resp.reset();
            }
        });
    }

    private void upstreamFailed(HttpServerResponse resp, GatewayDirectory.Target target, Throwable cause) {
        if (cause instanceof TimeoutException || cause instanceof ConnectTimeoutException) {
            metrics.upstreamError("timeout");
            GatewayErrors.send(resp, 504, "timeout_error", "the provider did not answer in time");
        } else if (cause instanceof ConnectException) {
            metrics.upstreamError("refused");
            GatewayErrors.send(resp, 502, "api_error", "the provider refused the connection");
        } else {
            metrics.upstreamError("failed");
            GatewayErrors.send(resp, 502, "api_error", "the provider connection failed");
        }
        LOG.debugf(
                "upstream failure for session %s/%s: %s",
                target.namespace(), target.name(), cause.getClass().getSimpleName());
        if (!resp.ended() && !resp.closed()) {
            resp.reset();
        }
    }

    static long contentLength(HttpServerRequest req) {
        String cl = req.getHeader(HttpHeaders.CONTENT_LENGTH);
        try {
            return cl == null ? -1 : Long.parseLong(cl.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}

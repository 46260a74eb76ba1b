package dev.collab.gateway;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;

/**
 * {@code ANY /v1/*} from a Gateway-mode session pod: authenticate the placeholder (and the pod IP), find the
 * session's account pool, check the owner's daily budget, then hand the request to a {@link PoolExchange} (account
 * choice, real credential, retries on an exhausted account, relay with usage counting).
 * Named steps in order: placeholder, target, source address, accounts, size, budget, exchange.
 */
final class GatewayProxy implements Handler<RoutingContext> {
    /** The Messages API's own request limit. */
    static final long MAX_BODY = 32L * 1024 * 1024;

    private final ProxyDeps deps;
    private final GatewayDirectory directory;
    private final GatewayEvents events;
    private final GatewayMetrics metrics;
    private final GatewaySettings settings;
    private final String upstreamBasePath;

    GatewayProxy(ProxyDeps deps, GatewayDirectory directory, GatewayEvents events) {
        this.deps = deps;
        this.directory = directory;
        this.events = events;
        this.metrics = deps.metrics();
        this.settings = deps.settings();
        String path = settings.upstream().getRawPath() == null
                ? ""
                : settings.upstream().getRawPath();
        this.upstreamBasePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
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
        AccountPool pool = directory.pool(target).orElse(null);
        if (pool == null || pool.accounts().isEmpty()) {
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
        Budgets.Refusal over = deps.budgets().check(target, deps.clock().instant());
        if (over != null) {
            deps.metrics().refused("budget");
            resp.putHeader(
                    "retry-after",
                    Long.toString(Math.max(
                            1,
                            Duration.between(deps.clock().instant(), over.resetsAt())
                                    .toSeconds())));
            GatewayErrors.send(resp, 429, "rate_limit_error", over.message(), over.resetsAt());
            if (over.first()) {
                deps.vertx()
                        .executeBlocking(
                                () -> {
                                    events.budgetExhausted(target, over.message());
                                    return null;
                                },
                                false);
            }
            return;
        }
        new PoolExchange(deps, req, target, pool, presented.kind(), upstreamBasePath).start();
    }

    private void refuse(HttpServerResponse resp, int status, String type, String message, String reason) {
        metrics.refused(reason);
        GatewayErrors.send(resp, status, type, message);
    }

    static boolean fromSessionPod(HttpServerRequest req, GatewayDirectory.Target target) {
        String remote = req.remoteAddress() == null ? null : req.remoteAddress().hostAddress();
        return remote != null && target.podIp() != null && normalise(remote).equals(normalise(target.podIp()));
    }

    private static String normalise(String ip) {
        return ip.startsWith("::ffff:") ? ip.substring(7) : ip;
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

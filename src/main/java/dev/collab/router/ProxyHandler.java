package dev.collab.router;

import dev.collab.api.CollabSession;
import dev.collab.router.RouteTable.RouteClass;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code ANY /s/{session}/{path...}}: a straight line of named steps (each answers its own error and stops the
 * request): directory synced, token presented, session resolved, token checked, Origin guard, cookie bootstrap, body cap, path
 * policy, wake wait, relay (or WebSocket tunnel), with response transforms (redaction) as hooks of the relay.
 */
class ProxyHandler implements Handler<RoutingContext> {
    private final SessionLookup sessions;
    private final RouterMetrics metrics;
    private final RequestBodyCap bodyCap;
    private final WakeWait wakeWait;
    private final UpstreamRelay relay;
    private final List<ResponseTransform> transforms;
    private final PathPolicy pathPolicy;
    private final OriginGuard originGuard;

    ProxyHandler(
            Vertx vertx,
            Supplier<HttpClient> clients,
            SessionLookup sessions,
            ActivityTracker activity,
            RouterSettings settings,
            RouterMetrics metrics,
            RouteTable routes,
            List<ResponseTransform> transforms) {
        this.sessions = sessions;
        this.metrics = metrics;
        this.bodyCap = new RequestBodyCap(vertx, settings.maxBody(), activity);
        this.wakeWait = new WakeWait(vertx, sessions.directory(), activity, metrics, settings.wakeWait());
        this.relay = new UpstreamRelay(vertx, clients, activity, metrics, bodyCap, settings.upstreamTimeout())
                .retryWith(new UpstreamRetry(vertx, sessions.directory(), wakeWait, metrics));
        this.transforms = List.copyOf(transforms);
        this.pathPolicy = new PathPolicy(routes);
        this.originGuard = new OriginGuard(settings.allowedOrigins());
    }

    /** Path routing: {@code /s/{session}/{path...}}. */
    @Override
    public void handle(RoutingContext ctx) {
        String name = ctx.pathParam("session");
        proxy(ctx, name, "/s/" + name);
    }

    /**
     * The pipeline for the session {@code name}; {@code prefix} is the part of the path that names it
     * ({@code /s/{session}}, or empty under host routing).
     */
    void proxy(RoutingContext ctx, String name, String prefix) {
        HttpServerRequest req = ctx.request();
        req.pause();
        HttpServerResponse resp = ctx.response();
        ctx.addEndHandler(v -> metrics.request(resp.getStatusCode()));
        if (!sessions.synced(resp, name)) {
            return;
        }
        Tokens.Presented presented = Tokens.presented(req);
        if (presented == null) {
            HttpErrors.send(resp, 401, "session token required", name);
            return;
        }
        CollabSession cs = sessions.unique(resp, name, 404, "unknown session");
        SessionDirectory.Access access = cs == null ? null : sessions.access(resp, cs);
        if (access == null) {
            return;
        }
        if (!Tokens.matches(presented.value(), access.token())) {
            HttpErrors.send(resp, 403, "wrong token for this session", name);
            return;
        }
        if (!originGuard.admits(req, resp, presented, name)) {
            return;
        }
        String query = Tokens.queryWithoutToken(req.query());
        if (CookieBootstrap.redirected(req, resp, prefix, presented, query) || !bodyCap.admits(req, resp, name)) {
            return;
        }
        String rest = PathPolicy.upstreamPath(ctx.normalizedPath(), prefix);
        RouteClass routeClass = pathPolicy.check(req.method(), rest, resp, name);
        if (routeClass == null) {
            return;
        }
        ResponseTransform transform = transformFor(req, routeClass);
        ProxyExchange ex = new ProxyExchange(
                ctx,
                cs,
                access,
                prefix,
                rest + (query == null ? "" : "?" + query),
                transform,
                sessions.directory().secretValues(cs, access));
        wakeWait.whenRunning(ex, relay::forward);
    }

    private ResponseTransform transformFor(HttpServerRequest req, RouteClass routeClass) {
        for (ResponseTransform t : transforms) {
            if (t.appliesTo(req.method(), routeClass)) {
                return t;
            }
        }
        return null;
    }
}

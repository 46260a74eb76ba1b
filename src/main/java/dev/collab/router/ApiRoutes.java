package dev.collab.router;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Mounts the collab API's paths: one named route per path and its methods (so the router's route table says what
 * it serves: OpenApiContractTest reads it), then a JSON 405 with {@code Allow} for the other methods. Each request
 * is paused until its handler reads the body, and counted by status.
 */
final class ApiRoutes {
    /** Names the method-not-allowed route of each path (it matches every method the path does not serve). */
    static final String NOT_ALLOWED = "method-not-allowed";

    private final RouterMetrics metrics;

    ApiRoutes(RouterMetrics metrics) {
        this.metrics = metrics;
    }

    void endpoint(Router router, String path, Map<HttpMethod, Handler<RoutingContext>> methods) {
        Route route = router.route(path).setName(path);
        methods.keySet().forEach(route::method);
        route.handler(ctx -> {
            begin(ctx);
            methods.get(ctx.request().method()).handle(ctx);
        });
        String allow = methods.keySet().stream().map(HttpMethod::name).sorted().collect(Collectors.joining(", "));
        router.route(path).setName(NOT_ALLOWED).handler(ctx -> {
            begin(ctx);
            ctx.response().putHeader(HttpHeaders.ALLOW, allow);
            String owner = ctx.pathParam("owner");
            if (owner != null) {
                HttpErrors.sendForOwner(ctx.response(), 405, "method not allowed", owner);
            } else {
                HttpErrors.send(ctx.response(), 405, "method not allowed", ctx.pathParam("session"));
            }
        });
    }

    private void begin(RoutingContext ctx) {
        ctx.request().pause();
        HttpServerResponse resp = ctx.response();
        ctx.addEndHandler(v -> metrics.request(resp.getStatusCode()));
    }
}

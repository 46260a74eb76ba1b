package dev.collab.router;

import dev.collab.api.CollabSession;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * One proxied request as it passes the pipeline: the resolved session, its access Secret, and the upstream URI
 * (path after /s/{session} plus the query without the token). {@code session} and {@code access} are replaced
 * when a wake wait sees a newer version of the session.
 */
final class ProxyExchange {
    final RoutingContext ctx;
    final String name;
    final String uri;
    /** {@code /s/{session}} under path routing, empty under host routing. */
    final String prefix;
    /** The response transform that asked for this exchange's body, or null: the body is streamed as is. */
    final ResponseTransform transform;
    /** The session's secret values that its event streams and JSON answers must not show ({@link StreamRedactor}). */
    final java.util.List<String> secretValues;

    CollabSession session;
    SessionDirectory.Access access;
    /** The request was sent upstream once already and failed ({@link UpstreamRetry}): the next failure is final. */
    boolean retried;
    /** The client's body has been streamed upstream (it cannot be read again; only {@link #body} can be replayed). */
    boolean bodyStreamed;
    /** The body as streamed, kept for a retry: idempotent requests only, else null. */
    ReplayableBody body;

    ProxyExchange(
            RoutingContext ctx,
            CollabSession session,
            SessionDirectory.Access access,
            String prefix,
            String uri,
            ResponseTransform transform,
            java.util.List<String> secretValues) {
        this.ctx = ctx;
        this.name = session.getMetadata().getName();
        this.session = session;
        this.access = access;
        this.prefix = prefix;
        this.uri = uri;
        this.transform = transform;
        this.secretValues = secretValues;
    }

    HttpServerRequest request() {
        return ctx.request();
    }

    HttpServerResponse response() {
        return ctx.response();
    }
}

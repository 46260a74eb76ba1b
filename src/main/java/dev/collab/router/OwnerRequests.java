package dev.collab.router;

import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.Callable;
import org.jboss.logging.Logger;

/**
 * What every accounts API request of an owner goes through (docs/DESIGN.md section 5): the token (the admin token,
 * or the session token of one of that owner's sessions: never another owner's), the pool Secret, a small JSON body,
 * blocking work on a worker thread, and errors as JSON {"error", "owner"}. Bodies are never logged or echoed.
 */
final class OwnerRequests {
    private static final Logger LOG = Logger.getLogger(OwnerRequests.class);
    static final int BODY_LIMIT = 16 * 1024;

    private final Vertx vertx;
    private final SessionLookup sessions;

    OwnerRequests(Vertx vertx, SessionLookup sessions) {
        this.vertx = vertx;
        this.sessions = sessions;
    }

    SessionDirectory directory() {
        return sessions.directory();
    }

    /** True when the request may manage {@code owner}'s accounts; otherwise the error is answered. */
    boolean authorized(RoutingContext ctx, String owner) {
        HttpServerResponse resp = ctx.response();
        if (!sessions.synced(resp, null)) {
            return false;
        }
        String token = Tokens.bearer(ctx.request());
        if (token == null) {
            HttpErrors.sendForOwner(resp, 401, "token required (Authorization: Bearer)", owner);
            return false;
        }
        if (Tokens.matches(token, directory().adminToken().orElse(null))) {
            return true;
        }
        for (CollabSession cs : directory().ownedBy(owner)) {
            SessionDirectory.Access access = directory().access(cs).orElse(null);
            if (access != null && Tokens.matches(token, access.token())) {
                return true;
            }
        }
        // one answer for an unknown owner and a wrong token: a caller learns no owner's name by guessing
        HttpErrors.sendForOwner(resp, 403, "token is neither the admin token nor a session token of this owner", owner);
        return false;
    }

    /** The pool Secret of {@code owner} (query parameter {@code secret} when the owner's sessions name several). */
    OwnerPools.Pool pool(RoutingContext ctx, String owner) {
        return OwnerPools.target(directory().ownedBy(owner), ctx.request().getParam("secret"));
    }

    /** The request's JSON object body (empty body: {}), at most BODY_LIMIT bytes; a failed future is answered. */
    Future<JsonObject> body(RoutingContext ctx, String owner) {
        HttpServerRequest req = ctx.request();
        Promise<JsonObject> done = Promise.promise();
        Buffer body = Buffer.buffer();
        req.handler(buf -> {
            if (body.length() + buf.length() > BODY_LIMIT) {
                fail(ctx, owner, done, new AccountEdits.Refused(413, "body larger than " + BODY_LIMIT + " bytes"));
                return;
            }
            body.appendBuffer(buf);
        });
        req.endHandler(v -> {
            if (done.future().isComplete()) {
                return;
            }
            try {
                done.tryComplete(body.length() == 0 ? new JsonObject() : new JsonObject(body));
            } catch (DecodeException | ClassCastException e) {
                fail(ctx, owner, done, new AccountEdits.Refused(400, "body must be a JSON object"));
            }
        });
        req.resume();
        return done.future();
    }

    private static void fail(RoutingContext ctx, String owner, Promise<JsonObject> done, AccountEdits.Refused e) {
        if (done.tryFail(e)) {
            answer(ctx, owner, e);
        }
    }

    /** Runs {@code work} on a worker thread and answers its JSON with 200, or the error it ended with. */
    void respond(RoutingContext ctx, String owner, Callable<JsonObject> work) {
        vertx.executeBlocking(work, false).onComplete(ar -> {
            if (ar.succeeded()) {
                HttpErrors.json(ctx.response(), 200, ar.result());
            } else {
                answer(ctx, owner, ar.cause());
            }
        });
    }

    static void answer(RoutingContext ctx, String owner, Throwable cause) {
        if (cause instanceof AccountEdits.Refused r) {
            HttpErrors.sendForOwner(ctx.response(), r.status, r.getMessage(), owner);
        } else {
            String reason = cause instanceof KubernetesClientException k
                    ? "HTTP " + k.getCode()
                    : cause.getClass().getSimpleName();
            LOG.warnf("accounts request for owner %s failed: %s", owner, reason);
            HttpErrors.sendForOwner(ctx.response(), 502, "Kubernetes API refused the request", owner);
        }
    }
}

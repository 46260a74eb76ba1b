package dev.collab.router;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/** Every error the router answers itself is JSON {"error": "...", "session": "..."} (accounts API: "owner"). */
final class HttpErrors {
    private HttpErrors() {}

    static void send(HttpServerResponse resp, int status, String error, String session) {
        send(resp, status, error, session, -1);
    }

    static void send(HttpServerResponse resp, int status, String error, String session, int retryAfterSeconds) {
        send(resp, status, new JsonObject().put("error", error).put("session", session), retryAfterSeconds);
    }

    /** The accounts API's errors name the owner instead of a session: {"error": "...", "owner": "..."}. */
    static void sendForOwner(HttpServerResponse resp, int status, String error, String owner) {
        send(resp, status, new JsonObject().put("error", error).put("owner", owner), -1);
    }

    private static void send(HttpServerResponse resp, int status, JsonObject fields, int retryAfterSeconds) {
        if (resp.headWritten() || resp.ended() || resp.closed()) {
            return;
        }
        JsonObject body = new JsonObject();
        fields.forEach(e -> {
            if (e.getValue() != null) {
                body.put(e.getKey(), e.getValue());
            }
        });
        resp.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
        if (retryAfterSeconds >= 0) {
            resp.putHeader(HttpHeaders.RETRY_AFTER, Integer.toString(retryAfterSeconds));
        }
        resp.end(body.encode());
    }

    static void json(HttpServerResponse resp, int status, JsonObject body) {
        if (resp.headWritten() || resp.ended() || resp.closed()) {
            return;
        }
        resp.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(body.encode());
    }
}

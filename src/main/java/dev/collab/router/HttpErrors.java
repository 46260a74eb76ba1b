package dev.collab.router;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/** Every error the router answers itself is JSON {"error": "...", "session": "..."}. */
final class HttpErrors {
    private HttpErrors() {
    }

    static void send(HttpServerResponse resp, int status, String error, String session) {
        send(resp, status, error, session, -1);
    }

    static void send(HttpServerResponse resp, int status, String error, String session, int retryAfterSeconds) {
        if (resp.headWritten() || resp.ended() || resp.closed()) {
            return;
        }
        JsonObject body = new JsonObject().put("error", error);
        if (session != null) {
            body.put("session", session);
        }
        resp.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
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
        resp.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store").end(body.encode());
    }
}

package dev.collab.gateway;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * Errors the gateway answers itself, in the Anthropic API's error shape
 * ({@code {"type":"error","error":{"type":...,"message":...}}}) so that opencode and the SDK show the message.
 * Never carries a credential or placeholder.
 */
final class GatewayErrors {
    private GatewayErrors() {}

    static void send(HttpServerResponse resp, int status, String type, String message) {
        if (resp.headWritten() || resp.ended() || resp.closed()) {
            return;
        }
        JsonObject body = new JsonObject()
                .put("type", "error")
                .put("error", new JsonObject().put("type", type).put("message", "collab gateway: " + message));
        resp.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(body.encode());
    }
}

package dev.collab.gateway;

import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

/**
 * Errors the gateway answers itself, in the Anthropic API's error shape
 * ({@code {"type":"error","error":{"type":...,"message":...}}}) so that opencode and the SDK show the message.
 * Never carries a credential or placeholder.
 */
final class GatewayErrors {
    private GatewayErrors() {}

    /** The provider or the network failed: 504 or 502 answered; returns the kind for the upstream-errors meter. */
    static String upstreamFailure(HttpServerResponse resp, Throwable cause) {
        if (cause instanceof TimeoutException || cause instanceof ConnectTimeoutException) {
            send(resp, 504, "timeout_error", "the provider did not answer in time");
            return "timeout";
        }
        if (cause instanceof ConnectException) {
            send(resp, 502, "api_error", "the provider refused the connection");
            return "refused";
        }
        send(resp, 502, "api_error", "the provider connection failed");
        return "failed";
    }

    static void send(HttpServerResponse resp, int status, String type, String message) {
        send(resp, status, type, message, (JsonObject) null);
    }

    /** With {@code error.reset_at} (RFC 3339) when the refusal ends at a known time. */
    static void send(HttpServerResponse resp, int status, String type, String message, java.time.Instant resetAt) {
        send(
                resp,
                status,
                type,
                message,
                resetAt == null ? null : new JsonObject().put("reset_at", resetAt.toString()));
    }

    /** With more fields in {@code error} (the egress proxy names the host and how to allow it). */
    static void send(HttpServerResponse resp, int status, String type, String message, JsonObject extra) {
        if (resp.headWritten() || resp.ended() || resp.closed()) {
            return;
        }
        JsonObject error = new JsonObject().put("type", type).put("message", "collab gateway: " + message);
        if (extra != null) {
            error.mergeIn(extra);
        }
        JsonObject body = new JsonObject().put("type", "error").put("error", error);
        resp.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .end(body.encode());
    }
}

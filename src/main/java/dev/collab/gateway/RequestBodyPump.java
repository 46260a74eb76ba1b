package dev.collab.gateway;

import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpServerRequest;

/**
 * The client's request body to the provider, chunk by chunk with backpressure, counted against the body limit (a
 * chunked body declares no length, so the declared Content-Length alone proves nothing), and never left half-sent
 * on a pooled connection: when the client goes away before its body ended, the provider connection is closed, not
 * returned to the pool, where the next request (any session's) would be read as the rest of this body.
 */
final class RequestBodyPump {
    private final HttpServerRequest req;
    private final HttpClientRequest up;
    private final long limit;
    private final Runnable overLimit;
    private long received;
    private boolean ended;
    private boolean stopped;

    /** {@code overLimit}: runs once, on the event loop, when the body passes {@code limit} bytes. */
    RequestBodyPump(HttpServerRequest req, HttpClientRequest up, long limit, Runnable overLimit) {
        this.req = req;
        this.up = up;
        this.limit = limit;
        this.overLimit = overLimit;
    }

    void start() {
        req.handler(buf -> {
            if (stopped) {
                return; // refused or abandoned: the rest is read and dropped until the connection closes
            }
            received += buf.length();
            if (received > limit) {
                overLimit.run(); // first: the client's 413 before the reset's upstream failure
                abandon();
                return;
            }
            up.write(buf);
            if (up.writeQueueFull()) {
                req.pause();
                up.drainHandler(v -> req.resume());
            }
        });
        req.endHandler(v -> {
            if (!stopped) {
                ended = true;
                up.end();
            }
        });
        req.exceptionHandler(err -> abandon());
        req.resume(); // paused by the proxy until it knew where the body goes
    }

    /** The body will not be completed: the provider connection is reset and closed unless the body already ended. */
    void abandon() {
        if (ended || stopped) {
            return;
        }
        stopped = true;
        up.reset();
        up.connection().close();
    }

    /** Bytes received from the client so far. */
    long received() {
        return received;
    }
}

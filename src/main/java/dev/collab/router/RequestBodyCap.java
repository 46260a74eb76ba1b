package dev.collab.router;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/** Pipeline step: the request body cap (collab.router.max-body), up front by Content-Length and while streaming. */
final class RequestBodyCap {
    private final Vertx vertx;
    private final long maxBody;
    private final ActivityTracker activity;

    RequestBodyCap(Vertx vertx, long maxBody, ActivityTracker activity) {
        this.vertx = vertx;
        this.maxBody = maxBody;
        this.activity = activity;
    }

    /** False after answering 413 when the declared length is over the cap. */
    boolean admits(HttpServerRequest req, HttpServerResponse resp, String name) {
        if (contentLength(req) > maxBody) {
            HttpErrors.send(resp, 413, "request body larger than " + maxBody + " bytes", name);
            return false;
        }
        return true;
    }

    /** Streams the request body upstream with backpressure, capped at max-body. */
    void stream(ProxyExchange ex, HttpClientRequest up) {
        ex.bodyStreamed = true;
        HttpServerRequest req = ex.request();
        HttpServerResponse resp = ex.response();
        boolean hasLength = req.headers().contains(HttpHeaders.CONTENT_LENGTH);
        boolean chunked = !hasLength && req.headers().contains(HttpHeaders.TRANSFER_ENCODING);
        if (chunked) {
            up.setChunked(true);
        }
        if ("100-continue".equalsIgnoreCase(req.getHeader(HttpHeaders.EXPECT))) {
            resp.writeContinue();
        }
        long[] received = {0};
        boolean[] tooLarge = {false};
        req.handler(buf -> {
            if (tooLarge[0]) {
                return;
            }
            received[0] += buf.length();
            if (received[0] > maxBody) {
                tooLarge[0] = true;
                if (resp.headWritten()) {
                    resp.reset();
                } else {
                    // The rest of the body is not read: answer, then close the connection.
                    resp.putHeader(HttpHeaders.CONNECTION, "close");
                    HttpErrors.send(resp, 413, "request body larger than " + maxBody + " bytes", ex.name);
                    vertx.setTimer(200, id -> req.connection().close());
                }
                up.reset();
                return;
            }
            activity.mark(ex.session);
            if (ex.body != null) {
                ex.body.add(buf);
            }
            up.write(buf);
            if (up.writeQueueFull()) {
                req.pause();
                up.drainHandler(v -> req.resume());
            }
        });
        req.endHandler(v -> {
            if (ex.body != null) {
                ex.body.end();
            }
            if (!tooLarge[0]) {
                up.end();
            }
        });
        req.exceptionHandler(err -> up.reset());
        req.resume();
    }

    static long contentLength(HttpServerRequest req) {
        String cl = req.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (cl == null) {
            return -1;
        }
        try {
            return Long.parseLong(cl.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}

package dev.collab.gateway;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerResponse;

/**
 * The provider's chunks to the client, those that arrive in one read of the provider connection written together
 * at the end of that event-loop turn. A write from another connection's read handler is flushed at once, so an
 * SSE answer whose events came in one read cost one client write (a syscall) per event (bench/gateway: the
 * streamed case paid twice nginx's kernel time). Nothing waits for more data: the write happens in the same turn.
 */
final class ChunkBatch {
    private final HttpServerResponse resp;
    private final HttpClientResponse upResp;
    private final Context context;
    private Buffer pending;
    private boolean scheduled;

    ChunkBatch(HttpServerResponse resp, HttpClientResponse upResp) {
        this.resp = resp;
        this.upResp = upResp;
        this.context = Vertx.currentContext();
    }

    void add(Buffer chunk) {
        if (context == null) { // not on an event loop (never on the request path): as it comes
            pending = chunk;
            flush();
            return;
        }
        pending = pending == null
                ? chunk
                : Buffer.buffer(pending.length() + chunk.length())
                        .appendBuffer(pending)
                        .appendBuffer(chunk);
        if (!scheduled) {
            scheduled = true;
            context.runOnContext(v -> {
                scheduled = false;
                flush();
            });
        }
    }

    /** Writes what is pending now (before the response ends), pausing the provider while the client is full. */
    void flush() {
        Buffer out = pending;
        pending = null;
        if (out == null || resp.ended() || resp.closed()) {
            return;
        }
        resp.write(out);
        if (resp.writeQueueFull()) {
            upResp.pause();
            resp.drainHandler(v -> upResp.resume());
        }
    }
}

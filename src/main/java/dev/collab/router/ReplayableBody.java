package dev.collab.router;

import io.vertx.core.buffer.Buffer;

/**
 * A copy of a request body as it streams upstream, kept so the request can be sent once more to a session's new
 * worker ({@link UpstreamRetry}): only up to {@link #LIMIT} bytes (a larger body is dropped and never replayed, so no
 * body is buffered without bound), and only once the client's body has ended.
 */
final class ReplayableBody {
    /** Bodies of idempotent requests (PUT, DELETE) are small JSON; anything larger is not worth holding. */
    static final int LIMIT = 256 * 1024;

    private Buffer kept = Buffer.buffer();
    private boolean ended;

    void add(Buffer chunk) {
        if (kept == null) {
            return;
        }
        if (kept.length() + chunk.length() > LIMIT) {
            kept = null; // over the limit: this request is not replayed
            return;
        }
        kept.appendBuffer(chunk); // a copy: the chunk itself goes upstream
    }

    void end() {
        ended = true;
    }

    /** The whole body, or null when it is not complete or was over the limit. */
    Buffer whole() {
        return ended ? kept : null;
    }
}

package dev.collab.router;

import dev.collab.api.CollabSession;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * A request the session's worker never answered, because the worker went away (its pod replaced for new credentials
 * or a changed spec, docs/DESIGN.md section 5), is sent once more to the session's next worker when that is safe: not
 * a byte of the response went to the client, and the request either never reached the worker (no connection) or is
 * idempotent with a body kept whole ({@link ReplayableBody}). It is held, like a wake, until the session's endpoint
 * moves: withdrawn (then {@link WakeWait} holds it until the new one is published) or replaced.
 */
final class UpstreamRetry {
    private static final Logger LOG = Logger.getLogger(UpstreamRetry.class);

    /**
     * How long a failed request waits for the endpoint to move. A worker going away has its endpoint withdrawn first,
     * so routers normally see it at once; one that still names the same endpoint after this is failing in place, and
     * the client gets the original error.
     */
    static final Duration MOVE_WAIT = Duration.ofSeconds(5);

    private static final Set<HttpMethod> IDEMPOTENT =
            Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.PUT, HttpMethod.DELETE);

    private final Vertx vertx;
    private final SessionDirectory directory;
    private final WakeWait wakeWait;
    private final RouterMetrics metrics;

    UpstreamRetry(Vertx vertx, SessionDirectory directory, WakeWait wakeWait, RouterMetrics metrics) {
        this.vertx = vertx;
        this.directory = directory;
        this.wakeWait = wakeWait;
        this.metrics = metrics;
    }

    /**
     * Whether a failed upstream request may be sent again (the caller checks that it was the first try and that no
     * response byte went to the client).
     *
     * @param delivered      a connection was made, so the worker may have read (and acted on) the request
     * @param bodyReplayable the whole request body is kept (an empty one counts)
     */
    static boolean safe(HttpMethod method, boolean delivered, boolean bodyReplayable, Throwable cause) {
        if (!delivered) {
            return true;
        }
        // No response within collab.router.upstream-timeout: a slow worker, not a gone one.
        return !(cause instanceof TimeoutException) && IDEMPOTENT.contains(method) && bodyReplayable;
    }

    static boolean idempotent(HttpMethod method) {
        return IDEMPOTENT.contains(method);
    }

    /**
     * Sends a failed request once more when it is the first failure, no response byte went to the client and
     * {@link #safe} says so: true when it is now held for the session's next worker (which answers it, or
     * {@link UpstreamRelay#upstreamFailed} does), false when the caller answers the failure.
     */
    boolean tryAgain(
            ProxyExchange ex, String target, boolean delivered, Throwable cause, Consumer<ProxyExchange> forward) {
        HttpServerResponse resp = ex.response();
        boolean untouched = !resp.headWritten() && !resp.ended() && !resp.closed();
        boolean replayable = !ex.bodyStreamed || (ex.body != null && ex.body.whole() != null);
        if (ex.retried || !untouched || !safe(ex.request().method(), delivered, replayable, cause)) {
            return false;
        }
        ex.retried = true;
        metrics.upstreamRetry();
        LOG.debugf("upstream of %s failed (%s): held for its next worker", ex.name, cause.toString());
        afterFailure(ex, target, () -> UpstreamRelay.upstreamFailed(resp, ex.name, cause), forward);
        return true;
    }

    /**
     * Holds the exchange until the session no longer publishes {@code failedEndpoint}, then hands it to the wake
     * wait (which forwards it to the endpoint published next); {@code giveUp} answers the original failure when the
     * endpoint stays for {@link #MOVE_WAIT}.
     */
    private void afterFailure(
            ProxyExchange ex, String failedEndpoint, Runnable giveUp, Consumer<ProxyExchange> forward) {
        String ns = ex.session.getMetadata().getNamespace();
        Context context = vertx.getOrCreateContext();
        AtomicBoolean done = new AtomicBoolean();
        long[] timer = {-1};
        AutoCloseable[] registration = new AutoCloseable[1];
        Runnable finish = () -> {
            vertx.cancelTimer(timer[0]);
            try {
                registration[0].close();
            } catch (Exception e) {
                // nothing to release
            }
        };
        Handler<Void> check = v -> {
            CollabSession now = directory.get(ns, ex.name).orElse(null);
            if (now != null && failedEndpoint.equals(WakeWait.endpoint(now))) {
                return; // still the worker that failed
            }
            if (!done.compareAndSet(false, true)) {
                return;
            }
            finish.run();
            SessionDirectory.Access access =
                    now == null ? null : directory.access(now).orElse(null);
            if (access == null || ex.response().closed()) {
                giveUp.run();
                return;
            }
            ex.session = now;
            ex.access = access;
            wakeWait.whenRunning(ex, forward);
        };
        registration[0] = directory.listen(ns, ex.name, updated -> context.runOnContext(check));
        timer[0] = vertx.setTimer(MOVE_WAIT.toMillis(), id -> {
            if (done.compareAndSet(false, true)) {
                finish.run();
                giveUp.run();
            }
        });
        check.handle(null);
    }
}

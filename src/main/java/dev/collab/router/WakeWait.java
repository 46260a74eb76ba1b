package dev.collab.router;

import dev.collab.api.CollabSession;
import dev.collab.api.SessionPhase;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Pipeline step: a running session goes straight on; a stopped or starting one is woken (activity marked) and
 * the request is held, paused, until the informer shows an endpoint, for at most collab.router.wake-wait.
 */
final class WakeWait {
    private final Vertx vertx;
    private final SessionDirectory directory;
    private final ActivityTracker activity;
    private final RouterMetrics metrics;
    private final Duration wakeWait;

    WakeWait(
            Vertx vertx,
            SessionDirectory directory,
            ActivityTracker activity,
            RouterMetrics metrics,
            Duration wakeWait) {
        this.vertx = vertx;
        this.directory = directory;
        this.activity = activity;
        this.metrics = metrics;
        this.wakeWait = wakeWait;
    }

    /** Calls {@code forward} once the session has an endpoint, or answers 409, 503 or 404. */
    void whenRunning(ProxyExchange ex, Consumer<ProxyExchange> forward) {
        CollabSession cs = ex.session;
        if (SessionDirectory.suspended(cs)) {
            HttpErrors.send(ex.response(), 409, "session is suspended", ex.name);
            return;
        }
        if (endpoint(cs) != null) {
            activity.mark(cs);
            forward.accept(ex);
            return;
        }
        if (cs.getStatus() != null && cs.getStatus().getPhase() == SessionPhase.Failed) {
            HttpErrors.send(
                    ex.response(), 503, "session failed to start", ex.name, SessionLookup.RETRY_AFTER_SECONDS * 6);
            return;
        }
        if (SessionDirectory.wakes(cs)) {
            activity.markNow(cs);
        }
        awaitEndpoint(ex, forward);
    }

    private void awaitEndpoint(ProxyExchange ex, Consumer<ProxyExchange> forward) {
        String ns = ex.session.getMetadata().getNamespace();
        String name = ex.name;
        Context context = vertx.getOrCreateContext();
        AtomicBoolean done = new AtomicBoolean();
        long waitStarted = System.nanoTime();
        long[] timer = {-1};
        AutoCloseable[] registration = new AutoCloseable[1];
        Runnable finish = () -> {
            if (timer[0] >= 0) {
                vertx.cancelTimer(timer[0]);
            }
            try {
                registration[0].close();
            } catch (Exception e) {
                // nothing to release
            }
        };
        Handler<Void> check = v -> {
            if (done.get()) {
                return;
            }
            CollabSession now = directory.get(ns, name).orElse(null);
            if (now == null) {
                if (done.compareAndSet(false, true)) {
                    finish.run();
                    HttpErrors.send(ex.response(), 404, "session was deleted", name);
                }
            } else if (SessionDirectory.suspended(now)) {
                if (done.compareAndSet(false, true)) {
                    finish.run();
                    HttpErrors.send(ex.response(), 409, "session is suspended", name);
                }
            } else if (endpoint(now) != null) {
                SessionDirectory.Access access = directory.access(now).orElse(null);
                if (access != null && done.compareAndSet(false, true)) {
                    finish.run();
                    metrics.wake(true, System.nanoTime() - waitStarted);
                    activity.mark(now);
                    ex.session = now;
                    ex.access = access;
                    forward.accept(ex);
                }
            }
        };
        registration[0] = directory.listen(ns, name, updated -> context.runOnContext(check));
        timer[0] = vertx.setTimer(Math.max(1, wakeWait.toMillis()), id -> {
            if (done.compareAndSet(false, true)) {
                timer[0] = -1;
                finish.run();
                metrics.wake(false, System.nanoTime() - waitStarted);
                HttpErrors.send(ex.response(), 503, "session is starting", name, (int)
                        Math.max(1, Math.min(SessionLookup.RETRY_AFTER_SECONDS, wakeWait.toSeconds())));
            }
        });
        check.handle(null);
    }

    static String endpoint(CollabSession cs) {
        String e = cs.getStatus() == null ? null : cs.getStatus().getEndpoint();
        return e == null || e.isBlank() ? null : e;
    }
}

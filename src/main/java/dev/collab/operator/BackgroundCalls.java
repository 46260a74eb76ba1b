package dev.collab.operator;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Runs the operator's network calls to a session's opencode (busy check, first-answer check, credential delivery) on
 * threads of their own, never on a reconcile thread: a hung opencode (each call waits seconds for its timeout) would
 * otherwise hold a reconcile thread per hung pod, and a few of them stall every session's reconcile (issue 30). A
 * reconcile asks for a result: a finished one is handed over once; otherwise the call is started (at most one per
 * session and kind at a time) and the reconcile goes on without it. When the call finishes, the session is
 * reconciled again ({@link #wakeWith}).
 */
final class BackgroundCalls {
    private static final Logger LOG = Logger.getLogger(BackgroundCalls.class);
    /** Calls at once; the others wait in the queue (each call is bounded by its own timeout). */
    static final int THREADS = 8;

    enum Kind {
        BUSY,
        ANSWER,
        DELIVERY,
        DRAIN
    }

    /** A finished call: about which subject (endpoint or pod uid), asked when, and its result. */
    record Done<T>(String subject, Instant askedAt, T result) {}

    private record Key(ResourceID session, Kind kind) {}

    /** What is running for a key: the subject, and a token so a forgotten call's result is dropped. */
    private record Running(String subject, Object token) {}

    private final Map<Key, Running> running = new ConcurrentHashMap<>();
    private final Map<Key, Done<?>> done = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor executor;
    private volatile Consumer<ResourceID> wake = id -> {};

    BackgroundCalls() {
        AtomicInteger n = new AtomicInteger();
        executor = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "collab-probe-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        executor.allowCoreThreadTimeOut(true);
    }

    /** How a finished call brings its session back to a reconcile. */
    void wakeWith(Consumer<ResourceID> wake) {
        this.wake = wake;
    }

    /**
     * The finished call of this kind about this subject, asked no earlier than {@code fresh} before {@code now}
     * (taken: a result is handed over once); else null, and the call is started unless one is running already.
     */
    @SuppressWarnings("unchecked")
    <T> Done<T> takeOrStart(
            ResourceID session, Kind kind, String subject, Instant now, Duration fresh, Supplier<T> call) {
        Key key = new Key(session, kind);
        Done<?> finished = done.remove(key);
        if (finished != null
                && finished.subject().equals(subject)
                && !finished.askedAt().plus(fresh).isBefore(now)) {
            return (Done<T>) finished;
        }
        Running mine = new Running(subject, new Object());
        if (running.putIfAbsent(key, mine) == null) {
            executor.execute(() -> {
                T result = null;
                try {
                    result = call.get();
                } catch (RuntimeException e) {
                    LOG.debugf("%s call for %s failed: %s", kind, session, e.toString());
                }
                if (running.remove(key, mine)) {
                    done.put(key, new Done<>(subject, now, result));
                    wake.accept(session);
                }
            });
        }
        return null;
    }

    /** Whether a call of this kind is running for the session (its result not handed over yet). */
    boolean isRunning(ResourceID session, Kind kind) {
        return running.containsKey(new Key(session, kind));
    }

    /** Drops what is known or running for the session; a call still running hands over nothing. */
    void forget(ResourceID session) {
        for (Kind kind : Kind.values()) {
            running.remove(new Key(session, kind));
            done.remove(new Key(session, kind));
        }
    }

    Set<ResourceID> sessions() {
        Set<ResourceID> all = new HashSet<>();
        running.keySet().forEach(k -> all.add(k.session()));
        done.keySet().forEach(k -> all.add(k.session()));
        return all;
    }
}

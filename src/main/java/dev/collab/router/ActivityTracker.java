package dev.collab.router;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.GoDuration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Coalesces activity marks into writes of the {@code collab.dev/last-activity} annotation: at most one write per
 * session per min(60s, idleTimeout/10). A mark inside the interval is not lost: it is written when the interval
 * ends. Writes are JSON merge patches that touch only that annotation, made off the event loop.
 */
public class ActivityTracker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ActivityTracker.class);
    static final Duration MAX_INTERVAL = Duration.ofSeconds(60);
    /** Wake writes of one session closer together than this are merged (many requests waking one session). */
    static final Duration WAKE_DEBOUNCE = Duration.ofSeconds(1);

    private final Vertx vertx;
    private final KubernetesClient client;
    private final RouterSettings settings;
    private final Clock clock;
    private final RouterMetrics metrics;
    private final Map<String, State> states = new ConcurrentHashMap<>();
    /** Write interval in ms by spec.idleTimeout text ("" = unset); marks come for every chunk of a stream. */
    private final Map<String, Long> intervals = new ConcurrentHashMap<>();

    private volatile boolean closed;

    private static final class State {
        final String namespace;
        final String name;
        long lastWriteMillis = Long.MIN_VALUE / 2;
        long lastMarkMillis;
        long timerId = -1;
        long intervalMillis = MAX_INTERVAL.toMillis();
        boolean writing;

        State(String namespace, String name) {
            this.namespace = namespace;
            this.name = name;
        }
    }

    public ActivityTracker(
            Vertx vertx, KubernetesClient client, RouterSettings settings, Clock clock, RouterMetrics metrics) {
        this.vertx = vertx;
        this.client = client;
        this.settings = settings;
        this.clock = clock;
        this.metrics = metrics;
    }

    /** The write interval of a session: min(60s, idleTimeout/10); 60s when idle eviction is off. */
    public Duration interval(CollabSession cs) {
        return Duration.ofMillis(intervalMillis(cs));
    }

    private long intervalMillis(CollabSession cs) {
        String spec = cs.getSpec() == null ? null : cs.getSpec().getIdleTimeout();
        Long known = intervals.get(spec == null ? "" : spec); // first: computeIfAbsent allocates its lambda per call
        if (known != null) {
            return known;
        }
        return intervals.computeIfAbsent(spec == null ? "" : spec, t -> {
            Duration idle = GoDuration.parseOr(t, settings.defaultIdleTimeout());
            if (idle.isZero() || idle.isNegative()) {
                return MAX_INTERVAL.toMillis();
            }
            return Math.max(1, Math.min(MAX_INTERVAL.toMillis(), idle.toMillis() / 10));
        });
    }

    /** Records activity; cheap enough to call for every chunk of a stream. */
    public void mark(CollabSession cs) {
        long interval = intervalMillis(cs);
        long now = clock.millis();
        State st = state(cs);
        boolean writeNow = false;
        synchronized (st) {
            st.lastMarkMillis = now;
            st.intervalMillis = interval;
            if (st.writing) {
                return;
            }
            if (now >= st.lastWriteMillis + interval) {
                if (st.timerId >= 0) {
                    vertx.cancelTimer(st.timerId);
                    st.timerId = -1;
                }
                st.writing = true;
                writeNow = true;
            } else if (st.timerId < 0) {
                scheduleTrailingWrite(st, now);
            }
        }
        if (writeNow) {
            write(st);
        }
    }

    /** Called holding the state's lock: writes the latest mark when the current interval ends. */
    private void scheduleTrailingWrite(State st, long now) {
        if (closed) {
            return;
        }
        long delay = Math.max(1, st.lastWriteMillis + st.intervalMillis - now);
        st.timerId = vertx.setTimer(delay, id -> {
            synchronized (st) {
                st.timerId = -1;
                if (st.writing) {
                    return;
                }
                st.writing = true;
            }
            write(st);
        });
    }

    /** Writes the annotation at once (a wake); merged with another wake of the same session within a second. */
    public void markNow(CollabSession cs) {
        long now = clock.millis();
        State st = state(cs);
        synchronized (st) {
            st.lastMarkMillis = now;
            if (st.writing || now - st.lastWriteMillis < WAKE_DEBOUNCE.toMillis()) {
                return;
            }
            if (st.timerId >= 0) {
                vertx.cancelTimer(st.timerId);
                st.timerId = -1;
            }
            st.writing = true;
        }
        write(st);
    }

    private State state(CollabSession cs) {
        String key = cs.getMetadata().getNamespace() + "/" + cs.getMetadata().getName();
        State known = states.get(key); // first: computeIfAbsent allocates its lambda per call
        return known != null
                ? known
                : states.computeIfAbsent(
                        key,
                        k -> new State(
                                cs.getMetadata().getNamespace(),
                                cs.getMetadata().getName()));
    }

    private void write(State st) {
        long markMillis;
        synchronized (st) {
            markMillis = st.lastMarkMillis;
            st.lastWriteMillis = clock.millis();
        }
        if (closed) {
            return;
        }
        // Milliseconds, not seconds: the operator wakes a session only for activity after its stoppedAt, and a
        // request in the same second as the idle stop was otherwise lost (OperatorAndRouterControlPlaneIT).
        String time = DateTimeFormatter.ISO_INSTANT.format(
                Instant.ofEpochMilli(markMillis).truncatedTo(ChronoUnit.MILLIS));
        String patch = "{\"metadata\":{\"annotations\":{\"" + CollabLabels.LAST_ACTIVITY + "\":\"" + time + "\"}}}";
        metrics.activityWrite();
        vertx.executeBlocking(
                        () -> {
                            client.resources(CollabSession.class)
                                    .inNamespace(st.namespace)
                                    .withName(st.name)
                                    .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
                            return null;
                        },
                        false)
                .onComplete(ar -> {
                    synchronized (st) {
                        st.writing = false;
                        if (st.lastMarkMillis > markMillis && st.timerId < 0) {
                            scheduleTrailingWrite(st, clock.millis());
                        }
                    }
                    if (ar.failed()) {
                        LOG.warnf(
                                "could not write %s on %s/%s: %s",
                                CollabLabels.LAST_ACTIVITY,
                                st.namespace,
                                st.name,
                                ar.cause().getMessage());
                    }
                });
    }

    /** Forgets a deleted session. */
    public void forget(String namespace, String name) {
        State st = states.remove(namespace + "/" + name);
        if (st != null) {
            synchronized (st) {
                if (st.timerId >= 0) {
                    vertx.cancelTimer(st.timerId);
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        states.values().forEach(st -> {
            synchronized (st) {
                if (st.timerId >= 0) {
                    vertx.cancelTimer(st.timerId);
                }
            }
        });
        states.clear();
    }
}

package dev.collab.operator;

import dev.collab.api.CollabSession;
import dev.collab.api.SessionPhase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Sessions by phase (and by namespace, owner and phase), start latency (pod created, or session created for a claimed
 * warm worker -> Ready), warm claims, evictions by reason, reconcile errors. No label names a session.
 */
final class OperatorMetrics {
    /** Histogram buckets of the start and claim latencies (seconds): a warm claim is sub-second, a cold start seconds. */
    static final Duration[] START_BUCKETS = seconds(0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300);

    private final MeterRegistry registry;
    private final Timer coldStart;
    private final Timer warmStart;
    private final Timer claim;
    private final Counter reconcileErrors;

    /** `sessions` lists the cached CollabSessions; the gauges count them at scrape time. */
    OperatorMetrics(MeterRegistry registry, Supplier<Stream<CollabSession>> sessions) {
        this.registry = registry;
        for (SessionPhase phase : SessionPhase.values()) {
            Gauge.builder(
                            "collab_sessions",
                            sessions,
                            s -> s.get()
                                    .filter(cs -> cs.getStatus() != null
                                            && cs.getStatus().getPhase() == phase)
                                    .count())
                    .strongReference(
                            true) // `sessions` is a method reference nobody else holds: weakly held, it read NaN
                    .description("CollabSessions by phase")
                    .tag("phase", phase.name())
                    .register(registry);
        }
        new SessionGauges(registry, sessions); // its gauges hold it
        coldStart = startTimer("cold");
        warmStart = startTimer("warm");
        claim = Timer.builder("collab_pool_claim_seconds")
                .description("Claiming a warm worker for a session (claim write, adoption, credential handover)")
                .serviceLevelObjectives(START_BUCKETS)
                .register(registry);
        reconcileErrors = Counter.builder("collab_reconcile_errors_total").register(registry);
    }

    private Timer startTimer(String start) {
        return Timer.builder("collab_session_start_seconds")
                .description(
                        "To Ready: from the pod's creation (cold), or the session's for a claimed warm worker (warm)")
                .tag("start", start)
                .serviceLevelObjectives(START_BUCKETS)
                .register(registry);
    }

    void started(StartLatency.Measured measured) {
        (measured.warm() ? warmStart : coldStart).record(measured.latency());
    }

    void claimed(Duration latency) {
        claim.record(latency.isNegative() ? Duration.ZERO : latency);
    }

    void evicted(String reason) {
        Counter.builder("collab_evictions_total")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }

    void reconcileError() {
        reconcileErrors.increment();
    }

    static Duration[] seconds(double... values) {
        Duration[] out = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Duration.ofNanos(Math.round(values[i] * 1e9));
        }
        return out;
    }
}

package dev.collab.operator;

import dev.collab.api.SessionPhase;
import dev.collab.api.CollabSession;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.function.Supplier;
import java.util.stream.Stream;

/** Sessions by phase, start latency (created or woken -> Ready), evictions by reason, reconcile errors. */
final class OperatorMetrics {
    private final MeterRegistry registry;
    private final Timer startLatency;
    private final Counter reconcileErrors;

    /** `sessions` lists the cached CollabSessions; the gauges count them at scrape time. */
    OperatorMetrics(MeterRegistry registry, Supplier<Stream<CollabSession>> sessions) {
        this.registry = registry;
        for (SessionPhase phase : SessionPhase.values()) {
            Gauge.builder("collab_sessions", sessions, s -> s.get()
                            .filter(cs -> cs.getStatus() != null && cs.getStatus().getPhase() == phase).count())
                    .description("CollabSessions by phase")
                    .tag("phase", phase.name())
                    .register(registry);
        }
        startLatency = Timer.builder("collab_session_start_seconds")
                .description("From CollabSession created or woken to its pod Ready")
                .publishPercentileHistogram()
                .register(registry);
        reconcileErrors = Counter.builder("collab_reconcile_errors_total").register(registry);
    }

    void started(Duration latency) {
        startLatency.record(latency.isNegative() ? Duration.ZERO : latency);
    }

    void evicted(String reason) {
        Counter.builder("collab_evictions_total").tag("reason", reason).register(registry).increment();
    }

    void reconcileError() {
        reconcileErrors.increment();
    }
}

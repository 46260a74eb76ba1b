package dev.collab.gateway;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of one egress connection: Prometheus and the owner's daily byte budget as they pass, the session's
 * status.egress (through the usage ledger) once when the connection ends.
 */
final class EgressMeter {
    private final GatewayDirectory.Target target;
    private final EgressMetrics.Counters counters;
    private final EgressMetrics metrics;
    private final Budgets budgets;
    private final UsageLedger ledger;
    private final Clock clock;
    private final AtomicLong up = new AtomicLong();
    private final AtomicLong down = new AtomicLong();
    private final AtomicBoolean done = new AtomicBoolean();

    EgressMeter(
            GatewayDirectory.Target target,
            String host,
            EgressMetrics metrics,
            Budgets budgets,
            UsageLedger ledger,
            Clock clock) {
        this.target = target;
        this.counters = metrics.of(target, host);
        this.metrics = metrics;
        this.budgets = budgets;
        this.ledger = ledger;
        this.clock = clock;
        counters.connections().increment();
        metrics.opened();
    }

    void up(long bytes) {
        up.addAndGet(bytes);
        counters.up().increment(bytes);
        budgets.addEgress(target.owner(), bytes, clock.instant());
    }

    void down(long bytes) {
        down.addAndGet(bytes);
        counters.down().increment(bytes);
        budgets.addEgress(target.owner(), bytes, clock.instant());
    }

    /** Idempotent: both sides of a tunnel report their end. */
    void done() {
        if (done.compareAndSet(false, true)) {
            ledger.recordEgress(target, false, up.get(), down.get());
            metrics.closed();
        }
    }
}

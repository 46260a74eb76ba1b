package dev.collab.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The egress proxy's meters (collab_gateway_egress_*), by namespace, owner and host, where host is the allowlist
 * entry that let the connection through (for an exact entry, the host itself): an entry like {@code *.github.com}
 * would otherwise make one series per subdomain a session cares to name. Per session: status.egress.
 */
final class EgressMetrics {
    private final MeterRegistry registry;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<Key, Counters> counters = new ConcurrentHashMap<>();
    private final Map<Refusal, Counter> refusals = new ConcurrentHashMap<>();

    private record Key(String namespace, String owner, String host) {}

    private record Refusal(String namespace, String owner, String reason) {}

    /** Registered once per key (a registry lookup per buffer would cost more than the copy). */
    record Counters(Counter connections, Counter up, Counter down) {}

    EgressMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("collab.gateway.egress.open", open, AtomicInteger::get)
                .description("Egress tunnels and proxied HTTP requests open now")
                .register(registry);
    }

    Counters of(GatewayDirectory.Target t, String host) {
        return counters.computeIfAbsent(new Key(t.namespace(), t.owner(), host), this::register);
    }

    void refused(GatewayDirectory.Target t, String reason) {
        String ns = t == null ? "" : t.namespace();
        String owner = t == null ? "" : t.owner();
        refusals.computeIfAbsent(
                        new Refusal(ns, owner, reason),
                        r -> Counter.builder("collab.gateway.egress.refused")
                                .description("Egress connections refused, by namespace, owner and reason")
                                .tag("namespace", r.namespace())
                                .tag("owner", r.owner())
                                .tag("reason", r.reason())
                                .register(registry))
                .increment();
    }

    void opened() {
        open.incrementAndGet();
    }

    void closed() {
        open.decrementAndGet();
    }

    int openNow() {
        return open.get();
    }

    private Counters register(Key k) {
        return new Counters(
                Counter.builder("collab.gateway.egress.connections")
                        .description("Egress connections opened, by namespace, owner and allowlist entry")
                        .tag("namespace", k.namespace())
                        .tag("owner", k.owner())
                        .tag("host", k.host())
                        .register(registry),
                bytes(k, "up"),
                bytes(k, "down"));
    }

    private Counter bytes(Key k, String direction) {
        return Counter.builder("collab.gateway.egress.bytes")
                .description("Bytes through the egress proxy, by namespace, owner, allowlist entry and direction")
                .baseUnit("bytes")
                .tag("namespace", k.namespace())
                .tag("owner", k.owner())
                .tag("host", k.host())
                .tag("direction", direction)
                .register(registry);
    }
}

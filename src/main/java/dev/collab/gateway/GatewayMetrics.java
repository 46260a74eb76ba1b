package dev.collab.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway's meters (Prometheus names collab_gateway_*). Usage is tagged by namespace, owner and model, never
 * by session: sessions come and go, owners and models are few.
 */
final class GatewayMetrics {
    private final MeterRegistry registry;
    private final AtomicInteger openStreams = new AtomicInteger();
    private final Counter statusWrites;

    GatewayMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("collab.gateway.open.requests", openStreams, AtomicInteger::get)
                .description("Provider requests in flight (streams included)")
                .register(registry);
        statusWrites = Counter.builder("collab.gateway.usage.status.writes")
                .description("Writes of status.usage to CollabSessions")
                .register(registry);
    }

    void usage(GatewayDirectory.Target t, Usage usage) {
        String model = usage == null ? "unknown" : usage.model();
        Counter.builder("collab.gateway.requests")
                .description("Provider requests answered, by namespace, owner and model")
                .tag("namespace", t.namespace())
                .tag("owner", t.owner())
                .tag("model", model)
                .register(registry)
                .increment();
        if (usage == null) {
            return;
        }
        tokens(t, model, "input", usage.inputTokens());
        tokens(t, model, "output", usage.outputTokens());
        tokens(t, model, "cache_read", usage.cacheReadTokens());
        tokens(t, model, "cache_write", usage.cacheWriteTokens());
    }

    private void tokens(GatewayDirectory.Target t, String model, String type, long count) {
        if (count > 0) {
            Counter.builder("collab.gateway.tokens")
                    .description("Tokens reported by the provider, by namespace, owner, model and type")
                    .tag("namespace", t.namespace())
                    .tag("owner", t.owner())
                    .tag("model", model)
                    .tag("type", type)
                    .register(registry)
                    .increment(count);
        }
    }

    void refused(String reason) {
        Counter.builder("collab.gateway.refused")
                .description("Requests refused by the gateway, by reason")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }

    void upstreamError(String kind) {
        Counter.builder("collab.gateway.upstream.errors")
                .description("Upstream failures answered 502/504")
                .tag("kind", kind)
                .register(registry)
                .increment();
    }

    /** Per account of a pool (names are the owner's, few per Secret): requests and tokens answered with it. */
    void accountUsage(GatewayDirectory.Target t, String account, Usage usage) {
        Counter.builder("collab.gateway.account.requests")
                .description("Provider requests answered, by namespace, owner, credential Secret and account")
                .tag("namespace", t.namespace())
                .tag("owner", t.owner())
                .tag("secret", t.secretName())
                .tag("account", account)
                .register(registry)
                .increment();
        if (usage != null && usage.inputTokens() + usage.outputTokens() > 0) {
            Counter.builder("collab.gateway.account.tokens")
                    .description("Input plus output tokens, by namespace, owner, credential Secret and account")
                    .tag("namespace", t.namespace())
                    .tag("owner", t.owner())
                    .tag("secret", t.secretName())
                    .tag("account", account)
                    .register(registry)
                    .increment(usage.inputTokens() + usage.outputTokens());
        }
    }

    /** An account marked cooling down (reason: http-429, http-529, rate_limit_error, overloaded_error). */
    void rotation(GatewayDirectory.Target t, String account, String reason) {
        Counter.builder("collab.gateway.account.cooldowns")
                .description("Accounts marked cooling down, by namespace, owner, credential Secret, account and reason")
                .tag("namespace", t.namespace())
                .tag("owner", t.owner())
                .tag("secret", t.secretName())
                .tag("account", account)
                .tag("reason", reason)
                .register(registry)
                .increment();
    }

    /** OAuth refreshes this replica made: refreshed, revoked, failed. */
    void refresh(String outcome) {
        Counter.builder("collab.gateway.oauth.refreshes")
                .description("OAuth token refreshes by outcome")
                .tag("outcome", outcome)
                .register(registry)
                .increment();
    }

    void statusWrite() {
        statusWrites.increment();
    }

    void opened() {
        openStreams.incrementAndGet();
    }

    void closed() {
        openStreams.decrementAndGet();
    }

    int open() {
        return openStreams.get();
    }
}

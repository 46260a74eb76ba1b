package dev.collab.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The gateway's meters (Prometheus names collab_gateway_*). Usage is tagged by namespace, owner and model, never
 * by session: sessions come and go, owners and models are few.
 */
final class GatewayMetrics {
    private final MeterRegistry registry;
    private final AtomicInteger openStreams = new AtomicInteger();
    private final Counter statusWrites;
    private final Counter clientClosed;
    private final Timer firstByte;
    private final Map<UsageKey, UsageCounters> usageCounters = new ConcurrentHashMap<>();
    private final Map<AccountKey, Counter> accountRequests = new ConcurrentHashMap<>();
    private final Map<AccountKey, Counter> accountTokens = new ConcurrentHashMap<>();

    GatewayMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("collab.gateway.open.requests", openStreams, AtomicInteger::get)
                .description("Provider requests in flight (streams included)")
                .register(registry);
        statusWrites = Counter.builder("collab.gateway.usage.status.writes")
                .description("Writes of status.usage to CollabSessions")
                .register(registry);
        clientClosed = Counter.builder("collab.gateway.client.disconnects")
                .description("Provider requests abandoned because the client closed its connection first")
                .register(registry);
        firstByte = Timer.builder("collab.gateway.first.byte")
                .description("From a provider request's arrival to the start of the provider's answer being relayed "
                        + "(a stream held for account rotation: its first content)")
                .serviceLevelObjectives(seconds(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60))
                .register(registry);
    }

    void firstByte(long nanos) {
        firstByte.record(Duration.ofNanos(Math.max(0, nanos)));
    }

    private static Duration[] seconds(double... values) {
        Duration[] out = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Duration.ofNanos(Math.round(values[i] * 1e9));
        }
        return out;
    }

    /**
     * One answered request: its tokens, and its cost (nano-USD) when its model has a price, else its tokens as
     * unpriced (a model missing from collab.gateway.prices shows up instead of costing a silent 0).
     */
    void usage(GatewayDirectory.Target t, Usage usage, long costNanos, boolean priced) {
        String model = usage == null ? "unknown" : usage.model();
        UsageCounters counters =
                usageCounters.computeIfAbsent(new UsageKey(t.namespace(), t.owner(), model), this::register);
        counters.requests.increment();
        if (usage == null) {
            return;
        }
        add(counters.input, usage.inputTokens());
        add(counters.output, usage.outputTokens());
        add(counters.cacheRead, usage.cacheReadTokens());
        add(counters.cacheWrite, usage.cacheWriteTokens());
        if (priced) {
            if (costNanos > 0) {
                counters.cost.increment(costNanos / 1e9);
            }
        } else {
            add(
                    counters.unpriced(),
                    usage.inputTokens() + usage.outputTokens() + usage.cacheReadTokens() + usage.cacheWriteTokens());
        }
    }

    private static void add(Counter counter, long count) {
        if (count > 0) {
            counter.increment(count);
        }
    }

    /** The meters of one namespace, owner and model, registered once (a registry lookup per request was profiled). */
    private record UsageKey(String namespace, String owner, String model) {}

    private record UsageCounters(
            Counter requests,
            Counter input,
            Counter output,
            Counter cacheRead,
            Counter cacheWrite,
            Counter cost,
            Supplier<Counter> unpricedCounter) {
        Counter unpriced() {
            return unpricedCounter.get();
        }
    }

    private UsageCounters register(UsageKey k) {
        return new UsageCounters(
                Counter.builder("collab.gateway.requests")
                        .description("Provider requests answered, by namespace, owner and model")
                        .tag("namespace", k.namespace())
                        .tag("owner", k.owner())
                        .tag("model", k.model())
                        .register(registry),
                tokens(k, "input"),
                tokens(k, "output"),
                tokens(k, "cache_read"),
                tokens(k, "cache_write"),
                Counter.builder("collab.gateway.cost.usd")
                        .description("USD by the price table (collab.gateway.prices), by namespace, owner and model")
                        .tag("namespace", k.namespace())
                        .tag("owner", k.owner())
                        .tag("model", k.model())
                        .register(registry),
                // registered on first use (a priced model never shows an unpriced series), then kept: a registry
                // lookup per unpriced response was profiled
                once(() -> Counter.builder("collab.gateway.unpriced.tokens")
                        .description(
                                "Tokens of models without a price (counted as 0 USD), by namespace, owner and model")
                        .tag("namespace", k.namespace())
                        .tag("owner", k.owner())
                        .tag("model", k.model())
                        .register(registry)));
    }

    private static Supplier<Counter> once(Supplier<Counter> register) {
        java.util.concurrent.atomic.AtomicReference<Counter> counter =
                new java.util.concurrent.atomic.AtomicReference<>();
        return () -> {
            Counter c = counter.get();
            if (c == null) {
                c = register.get(); // the registry returns the same counter to a racing second caller
                counter.set(c);
            }
            return c;
        };
    }

    private Counter tokens(UsageKey k, String type) {
        return Counter.builder("collab.gateway.tokens")
                .description("Tokens reported by the provider, by namespace, owner, model and type")
                .tag("namespace", k.namespace())
                .tag("owner", k.owner())
                .tag("model", k.model())
                .tag("type", type)
                .register(registry);
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

    /**
     * A provider request reset because its client closed the connection first (opencode cancelled, pod gone): apart
     * from {@link #upstreamError}, which counts only what the provider or the network did.
     */
    void clientClosed() {
        clientClosed.increment();
    }

    /**
     * Per account of a pool (names are the owner's, few per Secret): requests and tokens answered with it. The
     * counters are registered on first use and then kept (a registry lookup per request was profiled).
     */
    void accountUsage(GatewayDirectory.Target t, String account, Usage usage) {
        AccountKey k = new AccountKey(t.namespace(), t.owner(), t.secretName(), account);
        accountRequests
                .computeIfAbsent(
                        k,
                        x -> accountCounter(
                                x,
                                "collab.gateway.account.requests",
                                "Provider requests answered, by namespace, owner, credential Secret and account"))
                .increment();
        if (usage != null && usage.inputTokens() + usage.outputTokens() > 0) {
            accountTokens
                    .computeIfAbsent(
                            k,
                            x -> accountCounter(
                                    x,
                                    "collab.gateway.account.tokens",
                                    "Input plus output tokens, by namespace, owner, credential Secret and account"))
                    .increment(usage.inputTokens() + usage.outputTokens());
        }
    }

    private record AccountKey(String namespace, String owner, String secret, String account) {}

    private Counter accountCounter(AccountKey k, String name, String description) {
        return Counter.builder(name)
                .description(description)
                .tag("namespace", k.namespace())
                .tag("owner", k.owner())
                .tag("secret", k.secret())
                .tag("account", k.account())
                .register(registry);
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

package dev.collab.gateway;

import dev.collab.api.CredentialsMode;
import dev.collab.config.CollabConfig;
import java.math.BigDecimal;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The gateway's view of its configuration: plain values, so tests build it without CDI. */
public record GatewaySettings(
        List<String> namespaces,
        String keyNamespace,
        String keySecret,
        URI upstream,
        boolean checkSourceIp,
        CredentialsMode defaultMode,
        Duration usageFlushInterval,
        Duration upstreamTimeout,
        Pools pools,
        OAuth oauth,
        Egress egress,
        PriceTable prices) {

    /**
     * The egress proxy: where it listens ({@code port} 0 = any free port, for tests), the entries every session may
     * reach, extra denied ranges, the daily byte budget per owner, and how long a silent tunnel stays open.
     */
    public record Egress(
            String bindHost,
            int port,
            List<String> allow,
            List<String> denyRanges,
            long dailyBytes,
            Duration idleTimeout) {
        /** Loopback, a free port, the provider only. */
        public static Egress defaults() {
            return new Egress("127.0.0.1", 0, List.of(), List.of(), 0, Duration.ofMinutes(10));
        }

        public Egress withAllow(List<String> entries) {
            return new Egress(bindHost, port, List.copyOf(entries), denyRanges, dailyBytes, idleTimeout);
        }

        public Egress withDailyBytes(long bytes) {
            return new Egress(bindHost, port, allow, denyRanges, bytes, idleTimeout);
        }
    }

    /** Rotation and budgets of account pools. */
    public record Pools(
            Duration defaultCooldown,
            Duration rotateThreshold,
            long retryBodyLimit,
            long dailyTokens,
            long dailyRequests,
            BigDecimal dailyUsd) {
        public static Pools defaults() {
            return new Pools(Duration.ofSeconds(60), Duration.ofSeconds(10), 8L * 1024 * 1024, 0, 0);
        }

        /** Without a USD budget. */
        public Pools(
                Duration defaultCooldown,
                Duration rotateThreshold,
                long retryBodyLimit,
                long dailyTokens,
                long dailyRequests) {
            this(defaultCooldown, rotateThreshold, retryBodyLimit, dailyTokens, dailyRequests, BigDecimal.ZERO);
        }

        public Pools withDailyUsd(BigDecimal usd) {
            return new Pools(defaultCooldown, rotateThreshold, retryBodyLimit, dailyTokens, dailyRequests, usd);
        }
    }

    /**
     * OAuth refresh: endpoint, client id, how early, the token call's connect and read timeouts, and how often a
     * waiting replica reads the Secret again.
     */
    public record OAuth(
            String tokenUrl,
            String clientId,
            Duration refreshAhead,
            Duration connectTimeout,
            Duration readTimeout,
            Duration claimPoll) {
        /** Time a claim leaves for the write-back after the slowest token call (409 retries, a slow API server). */
        static final Duration WRITE_BACK_ALLOWANCE = Duration.ofSeconds(20);

        public static OAuth of(String tokenUrl, String clientId, Duration refreshAhead) {
            return new OAuth(
                    tokenUrl,
                    clientId,
                    refreshAhead,
                    Duration.ofSeconds(10),
                    Duration.ofSeconds(30),
                    Duration.ofMillis(100));
        }

        /**
         * How long a replica's claim on a refresh holds: derived from the timeouts, so that no token call can
         * outlive it (a shorter claim let a second replica spend the same single-use refresh token while the first
         * call was still waiting for its answer). 60 s with the defaults.
         */
        public Duration claimDuration() {
            return connectTimeout.plus(readTimeout).plus(WRITE_BACK_ALLOWANCE);
        }

        /** The longest a token call may take, connect and answer together. */
        public Duration callLimit() {
            return connectTimeout.plus(readTimeout);
        }
    }

    /** Without pool and OAuth settings: their defaults. */
    public GatewaySettings(
            List<String> namespaces,
            String keyNamespace,
            String keySecret,
            URI upstream,
            boolean checkSourceIp,
            CredentialsMode defaultMode,
            Duration usageFlushInterval,
            Duration upstreamTimeout) {
        this(
                namespaces,
                keyNamespace,
                keySecret,
                upstream,
                checkSourceIp,
                defaultMode,
                usageFlushInterval,
                upstreamTimeout,
                Pools.defaults(),
                OAuth.of(
                        "https://console.anthropic.com/v1/oauth/token",
                        "9d1c250a-e61b-44d9-88ed-5944d1962f5e",
                        Duration.ofMinutes(5)),
                Egress.defaults(),
                PriceTable.shippedDefaults());
    }

    public GatewaySettings withPools(Pools p) {
        return new GatewaySettings(
                namespaces,
                keyNamespace,
                keySecret,
                upstream,
                checkSourceIp,
                defaultMode,
                usageFlushInterval,
                upstreamTimeout,
                p,
                oauth,
                egress,
                prices);
    }

    public GatewaySettings withOAuth(OAuth o) {
        return new GatewaySettings(
                namespaces,
                keyNamespace,
                keySecret,
                upstream,
                checkSourceIp,
                defaultMode,
                usageFlushInterval,
                upstreamTimeout,
                pools,
                o,
                egress,
                prices);
    }

    public GatewaySettings withEgress(Egress e) {
        return new GatewaySettings(
                namespaces,
                keyNamespace,
                keySecret,
                upstream,
                checkSourceIp,
                defaultMode,
                usageFlushInterval,
                upstreamTimeout,
                pools,
                oauth,
                e,
                prices);
    }

    public GatewaySettings withPrices(PriceTable p) {
        return new GatewaySettings(
                namespaces,
                keyNamespace,
                keySecret,
                upstream,
                checkSourceIp,
                defaultMode,
                usageFlushInterval,
                upstreamTimeout,
                pools,
                oauth,
                egress,
                p);
    }

    /** @param bindHost the address the egress proxy listens on (the HTTP server's: quarkus.http.host) */
    public static GatewaySettings from(CollabConfig config, String clientNamespace, String bindHost) {
        CollabConfig.Gateway g = config.gateway();
        dev.collab.config.AccountsConfig a = g.accounts();
        return new GatewaySettings(
                config.namespaces().orElse(List.of()).stream()
                        .filter(s -> !s.isBlank())
                        .toList(),
                Optional.ofNullable(clientNamespace).orElse("default"),
                g.keySecret(),
                URI.create(g.upstream()),
                g.checkSourceIp(),
                config.credentials().defaultMode(),
                g.usageFlushInterval(),
                g.upstreamTimeout(),
                new Pools(
                        a.defaultCooldown(),
                        a.rotateThreshold(),
                        a.retryBodyLimit(),
                        a.dailyTokens(),
                        a.dailyRequests(),
                        a.dailyUsd()),
                OAuth.of(a.oauthTokenUrl(), a.oauthClientId(), a.refreshAhead()),
                new Egress(
                        bindHost,
                        g.egress().port(),
                        g.egress().allow().orElse(List.of()).stream()
                                .filter(x -> !x.isBlank())
                                .toList(),
                        g.egress().denyRanges().orElse(List.of()).stream()
                                .filter(x -> !x.isBlank())
                                .toList(),
                        g.egress().dailyBytes(),
                        g.egress().idleTimeout()),
                PriceTable.withOverrides(prices(g.prices())));
    }

    private static Map<String, PriceTable.Price> prices(Map<String, CollabConfig.Price> configured) {
        Map<String, PriceTable.Price> out = new LinkedHashMap<>();
        configured.forEach((prefix, p) ->
                out.put(prefix, new PriceTable.Price(p.input(), p.output(), p.cacheRead(), p.cacheWrite())));
        return out;
    }
}

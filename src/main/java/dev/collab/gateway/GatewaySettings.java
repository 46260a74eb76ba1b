package dev.collab.gateway;

import dev.collab.api.CredentialsMode;
import dev.collab.config.CollabConfig;
import java.net.URI;
import java.time.Duration;
import java.util.List;
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
        OAuth oauth) {

    /** Rotation and budgets of account pools. */
    public record Pools(
            Duration defaultCooldown,
            Duration rotateThreshold,
            long retryBodyLimit,
            long dailyTokens,
            long dailyRequests) {
        public static Pools defaults() {
            return new Pools(Duration.ofSeconds(60), Duration.ofSeconds(10), 8L * 1024 * 1024, 0, 0);
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
                        Duration.ofMinutes(5)));
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
                oauth);
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
                o);
    }

    public static GatewaySettings from(CollabConfig config, String clientNamespace) {
        CollabConfig.Gateway g = config.gateway();
        CollabConfig.Accounts a = g.accounts();
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
                        a.dailyRequests()),
                OAuth.of(a.oauthTokenUrl(), a.oauthClientId(), a.refreshAhead()));
    }
}

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

    /** OAuth refresh: endpoint, client id, how early, and how long a replica's claim on a refresh holds. */
    public record OAuth(
            String tokenUrl, String clientId, Duration refreshAhead, Duration claimTtl, Duration claimPoll) {
        public static OAuth of(String tokenUrl, String clientId, Duration refreshAhead) {
            return new OAuth(tokenUrl, clientId, refreshAhead, Duration.ofSeconds(30), Duration.ofMillis(100));
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

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
        Duration upstreamTimeout) {

    public static GatewaySettings from(CollabConfig config, String clientNamespace) {
        CollabConfig.Gateway g = config.gateway();
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
                g.upstreamTimeout());
    }
}

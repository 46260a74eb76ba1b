package dev.collab.gateway;

import dev.collab.config.CollabConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the session, Secret and key informers have synced. */
@Readiness
@ApplicationScoped
public class GatewayReadiness implements HealthCheck {
    @Inject
    CollabConfig config;

    @Inject
    GatewayWiring wiring;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("collab-gateway");
        if (!config.role().runsGateway()) {
            return b.up().withData("role", config.role().name())
                    .withData("gateway", "off")
                    .build();
        }
        CredentialGateway g = wiring.gateway().orElse(null);
        if (g == null) {
            return b.down().withData("informersSynced", false).build();
        }
        return b.status(g.ready())
                .withData("informersSynced", g.ready())
                .withData("gatewaySessions", g.gatewaySessions())
                .withData("openRequests", g.openRequests())
                .build();
    }
}

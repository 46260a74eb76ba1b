package dev.collab.router;

import dev.collab.config.CollabConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the session informers have synced; reports desired vs running session counts. */
@Readiness
@ApplicationScoped
public class RouterReadiness implements HealthCheck {
    @Inject
    CollabConfig config;
    @Inject
    RouterWiring wiring;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("collab-router");
        if (!config.role().runsRouter()) {
            return b.up().withData("role", config.role().name()).withData("router", "off").build();
        }
        SessionRouter router = wiring.router().orElse(null);
        if (router == null) {
            return b.down().withData("informersSynced", false).build();
        }
        SessionDirectory d = router.directory();
        boolean synced = d.synced();
        return b.status(synced).withData("informersSynced", synced).withData("desiredSessions", d.desiredCount())
                .withData("runningSessions", d.runningCount()).withData("openStreams", router.metrics().openStreams())
                .build();
    }
}

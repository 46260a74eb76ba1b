package dev.collab.operator;

import dev.collab.config.CollabConfig;
import io.javaoperatorsdk.operator.Operator;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Readiness of the operator part: up when the operator is started and its informers are healthy. A
 * standby replica waiting for the leader lease is ready too (it serves health and takes over on failover),
 * and the router role, which never starts the operator, is not held back by it.
 */
@Readiness
@ApplicationScoped
public class OperatorReadiness implements HealthCheck {
    @Inject
    CollabConfig config;

    @Inject
    Operator operator;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("collab operator");
        if (!config.role().runsOperator()) {
            return response.up().withData("role", config.role().name()).withData("operator", "not run in this role").build();
        }
        var runtime = operator.getRuntimeInfo();
        if (!runtime.isStarted()) {
            return response.down().withData("operator", "starting").build();
        }
        boolean healthy = true;
        for (var controller : runtime.getRegisteredControllers()) {
            var unhealthy = controller.getControllerHealthInfo().unhealthyEventSources();
            healthy &= unhealthy.isEmpty();
            response.withData(controller.getConfiguration().getName(),
                    unhealthy.isEmpty() ? "OK" : "unhealthy: " + String.join(", ", unhealthy.keySet()));
        }
        return response.status(healthy).build();
    }
}

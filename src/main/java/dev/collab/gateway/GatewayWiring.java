package dev.collab.gateway;

import dev.collab.config.CollabConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import java.time.Clock;
import java.util.Optional;
import org.jboss.logging.Logger;

/** Builds the gateway role from CollabConfig and mounts /v1/*, only when collab.role runs the gateway. */
@ApplicationScoped
public class GatewayWiring {
    private static final Logger LOG = Logger.getLogger(GatewayWiring.class);

    @Inject
    CollabConfig config;

    @Inject
    Vertx vertx;

    @Inject
    KubernetesClient client;

    @Inject
    MeterRegistry registry;

    private volatile CredentialGateway gateway;

    void init(@Observes Router httpRouter) {
        if (!config.role().runsGateway()) {
            return;
        }
        GatewaySettings settings = GatewaySettings.from(
                config,
                client.getNamespace(),
                org.eclipse.microprofile.config.ConfigProvider.getConfig()
                        .getOptionalValue("quarkus.http.host", String.class)
                        .orElse("0.0.0.0"));
        gateway = new CredentialGateway(vertx, client, settings, registry, Clock.systemUTC()).start();
        gateway.mount(httpRouter);
        LOG.infof(
                "gateway role: sessions in %s, provider %s, key Secret %s/%s, source IP check %s, usage written every %s",
                settings.namespaces().isEmpty() ? "every namespace" : settings.namespaces(),
                settings.upstream(),
                settings.keyNamespace(),
                settings.keySecret(),
                settings.checkSourceIp() ? "on" : "OFF",
                settings.usageFlushInterval());
        LOG.infof(
                "gateway egress proxy on %s:%d, default allowlist %s, daily bytes per owner %s",
                settings.egress().bindHost(),
                gateway.egressPort(),
                settings.egress().allow().isEmpty()
                        ? "empty (the provider only)"
                        : settings.egress().allow(),
                settings.egress().dailyBytes() == 0
                        ? "unlimited"
                        : settings.egress().dailyBytes());
    }

    public Optional<CredentialGateway> gateway() {
        return Optional.ofNullable(gateway);
    }

    /**
     * Before the other shutdown observers (default priority): the operator's stop closes the shared Kubernetes client
     * (JOSDK closes it on stop), and the usage of the last flush interval must be written with it still open.
     */
    void stop(@Observes @Priority(Interceptor.Priority.APPLICATION) ShutdownEvent event) {
        CredentialGateway g = gateway;
        if (g != null) {
            g.close();
        }
    }
}

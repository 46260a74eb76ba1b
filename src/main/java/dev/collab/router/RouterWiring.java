package dev.collab.router;

import dev.collab.api.GoDuration;
import dev.collab.config.CollabConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Clock;
import java.util.Optional;
import org.jboss.logging.Logger;

/** Builds the router role from CollabConfig and mounts its routes, only when collab.role runs the router. */
@ApplicationScoped
public class RouterWiring {
    private static final Logger LOG = Logger.getLogger(RouterWiring.class);

    @Inject
    CollabConfig config;

    @Inject
    Vertx vertx;

    @Inject
    KubernetesClient client;

    @Inject
    MeterRegistry registry;

    private volatile SessionRouter router;

    void init(@Observes Router httpRouter) {
        if (!config.role().runsRouter()) {
            return;
        }
        RouterSettings settings = settings(config, client.getNamespace());
        router = new SessionRouter(vertx, client, settings, registry, Clock.systemUTC()).start();
        router.mount(httpRouter);
        LOG.infof(
                "router role: sessions in %s, admin token from Secret %s/%s, max body %d bytes, wake wait %s",
                settings.namespaces().isEmpty() ? "every namespace" : settings.namespaces(),
                settings.routerNamespace(),
                settings.adminTokenSecret(),
                settings.maxBody(),
                settings.wakeWait());
    }

    static RouterSettings settings(CollabConfig config, String clientNamespace) {
        long maxBody = ByteSize.parse(config.router().maxBody());
        return new RouterSettings(
                        config.namespaces().orElse(java.util.List.of()).stream()
                                .filter(s -> !s.isBlank())
                                .toList(),
                        Optional.ofNullable(clientNamespace).orElse("default"),
                        config.router().adminTokenSecret(),
                        maxBody,
                        Math.min(maxBody, RouterSettings.CREDENTIAL_BODY_LIMIT),
                        config.router().wakeWait(),
                        config.router().upstreamTimeout(),
                        GoDuration.parse(config.session().idleTimeout()))
                .withBrowser(
                        config.router().sessionDomain().orElse(null),
                        config.router().allowedOrigins().orElse(java.util.List.of()))
                .withLogin(login(config.gateway().accounts()));
    }

    static RouterSettings.AccountLogin login(dev.collab.config.AccountsConfig a) {
        return new RouterSettings.AccountLogin(
                a.oauthAuthorizeUrl(),
                a.oauthTokenUrl(),
                a.oauthClientId(),
                a.oauthRedirectUri(),
                a.oauthScopes(),
                a.loginTimeout());
    }

    /** The running router, or empty in the operator role (or before the HTTP router is built). */
    public Optional<SessionRouter> router() {
        return Optional.ofNullable(router);
    }

    void stop(@Observes ShutdownEvent event) {
        SessionRouter r = router;
        if (r != null) {
            r.close();
        }
    }
}

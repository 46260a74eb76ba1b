package dev.collab.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.collab.config.CollabConfig;
import dev.collab.config.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.Test;

/** The routes exist only in the roles that run the router; settings come from CollabConfig. */
@EnableKubernetesMockClient(crud = true)
class RouterWiringTest {
    static KubernetesClient client;

    @Test
    void operatorRoleMountsNothingAndStaysReady() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            RouterWiring wiring = wiring(Role.operator, vertx);
            Router web = Router.router(vertx);
            wiring.init(web);
            assertTrue(web.getRoutes().isEmpty());
            assertTrue(wiring.router().isEmpty());
            RouterReadiness readiness = new RouterReadiness();
            readiness.config = wiring.config;
            readiness.wiring = wiring;
            assertEquals(HealthCheckResponse.Status.UP, readiness.call().getStatus());
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void routerRoleMountsTheProxyAndCollabRoutes() throws Exception {
        Vertx vertx = Vertx.vertx();
        RouterWiring wiring = wiring(Role.router, vertx);
        try {
            Router web = Router.router(vertx);
            wiring.init(web);
            List<String> paths = web.getRoutes().stream().map(Route::getPath).toList();
            assertTrue(paths.contains("/s/:session/"), paths.toString());
            assertTrue(paths.contains("/collab/session/:session"), paths.toString());
            RouterReadiness readiness = new RouterReadiness();
            readiness.config = wiring.config;
            readiness.wiring = wiring;
            RouterTestSupport.await(
                    "readiness up after informer sync",
                    () -> readiness.call().getStatus() == HealthCheckResponse.Status.UP);
            assertEquals(0L, readiness.call().getData().orElseThrow().get("desiredSessions"));
        } finally {
            wiring.stop(null);
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void settingsFromConfiguration() {
        RouterSettings s = RouterWiring.settings(config(Role.router), "collab-system");
        assertEquals(10L << 20, s.maxBody());
        assertEquals(RouterSettings.CREDENTIAL_BODY_LIMIT, s.maxCredentialBody());
        assertEquals(Duration.ofSeconds(30), s.wakeWait());
        assertEquals(Duration.ofMinutes(30), s.defaultIdleTimeout());
        assertEquals(List.of("team-a"), s.namespaces());
        assertEquals("collab-system", s.routerNamespace());
        assertEquals("sessions.example.com", s.sessionDomain());
        assertEquals(List.of("https://portal.example.com"), s.allowedOrigins());
        assertEquals(
                new RouterSettings.AccountLogin(
                        "https://login.example.com/authorize",
                        "https://login.example.com/token",
                        "client-1",
                        "https://router.example.com/collab/oauth/callback",
                        "user:inference",
                        Duration.ofMinutes(5)),
                s.login());
    }

    private static RouterWiring wiring(Role role, Vertx vertx) {
        RouterWiring wiring = new RouterWiring();
        wiring.config = config(role);
        wiring.vertx = vertx;
        wiring.client = client;
        wiring.registry = new SimpleMeterRegistry();
        return wiring;
    }

    /** A CollabConfig answering the defaults of application.properties. */
    static CollabConfig config(Role role) {
        CollabConfig.Router router = (CollabConfig.Router) Proxy.newProxyInstance(
                RouterWiringTest.class.getClassLoader(),
                new Class<?>[] {CollabConfig.Router.class},
                (p, m, a) -> switch (m.getName()) {
                    case "wakeWait" -> Duration.ofSeconds(30);
                    case "adminTokenSecret" -> "collab-router-admin";
                    case "maxBody" -> "10M";
                    case "upstreamTimeout" -> Duration.ofSeconds(60);
                    case "sessionDomain" -> Optional.of("sessions.example.com");
                    case "allowedOrigins" -> Optional.of(List.of("https://portal.example.com", " "));
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        CollabConfig.Session session = (CollabConfig.Session) Proxy.newProxyInstance(
                RouterWiringTest.class.getClassLoader(),
                new Class<?>[] {CollabConfig.Session.class},
                (p, m, a) -> switch (m.getName()) {
                    case "idleTimeout" -> "30m";
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        dev.collab.config.AccountsConfig accounts = (dev.collab.config.AccountsConfig) Proxy.newProxyInstance(
                RouterWiringTest.class.getClassLoader(),
                new Class<?>[] {dev.collab.config.AccountsConfig.class},
                (p, m, a) -> switch (m.getName()) {
                    case "oauthAuthorizeUrl" -> "https://login.example.com/authorize";
                    case "oauthTokenUrl" -> "https://login.example.com/token";
                    case "oauthClientId" -> "client-1";
                    case "oauthRedirectUri" -> "https://router.example.com/collab/oauth/callback";
                    case "oauthScopes" -> "user:inference";
                    case "loginTimeout" -> Duration.ofMinutes(5);
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        CollabConfig.Gateway gateway = (CollabConfig.Gateway) Proxy.newProxyInstance(
                RouterWiringTest.class.getClassLoader(),
                new Class<?>[] {CollabConfig.Gateway.class},
                (p, m, a) -> switch (m.getName()) {
                    case "accounts" -> accounts;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        return (CollabConfig) Proxy.newProxyInstance(
                RouterWiringTest.class.getClassLoader(),
                new Class<?>[] {CollabConfig.class},
                (p, m, a) -> switch (m.getName()) {
                    case "role" -> role;
                    case "namespaces" -> Optional.of(List.of("team-a"));
                    case "router" -> router;
                    case "session" -> session;
                    case "gateway" -> gateway;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }
}

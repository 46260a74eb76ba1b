package dev.collab.router;

import static org.junit.jupiter.api.Assertions.fail;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CollabSessionStatus;
import dev.collab.api.SessionPhase;
import dev.collab.api.StoppedReason;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Shared set-up: the mock API server in CRUD mode (with the CollabSession status subresource) and routers on loopback.
 * Mock server limits met here (docs/STYLE.md): it knows the status subresource only through {@code expectCustomResource}
 * (so creating a session drops its status and the tests write status with {@code updateStatus()}, playing the
 * operator); it does not fold Secret {@code stringData} into {@code data}, so every Secret is written with base64 data;
 * there is no garbage collection, so nothing here relies on owner references.
 */
final class RouterTestSupport {
    static final String ROUTER_NS = "collab-system";
    static final String ADMIN_TOKEN = "admin-token-0123456789";

    private RouterTestSupport() {}

    /** Tells the CRUD dispatcher that CollabSession has a status subresource, as the generated CRD does. */
    static void registerCrd(KubernetesMockServer server) {
        server.expectCustomResource(CollabSession.crdContext());
    }

    static void createAdminSecret(KubernetesClient client) {
        client.resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(ROUTER_NS)
                        .endMetadata()
                        .build())
                .createOr(r -> r.update());
        client.secrets()
                .inNamespace(ROUTER_NS)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("collab-router-admin")
                        .endMetadata()
                        .addToData("token", b64(ADMIN_TOKEN))
                        .build())
                .create();
    }

    static RouterSettings settings(long maxBody, Duration wakeWait, Duration upstreamTimeout) {
        return new RouterSettings(
                List.of(),
                ROUTER_NS,
                "collab-router-admin",
                maxBody,
                64 * 1024,
                wakeWait,
                upstreamTimeout,
                Duration.ofMinutes(30));
    }

    /** A router role instance on its own loopback port. */
    static final class RunningRouter implements AutoCloseable {
        final SessionRouter router;
        final HttpServer server;
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();

        RunningRouter(Vertx vertx, KubernetesClient client, RouterSettings settings, Clock clock) throws Exception {
            router = new SessionRouter(vertx, client, settings, registry, clock).start();
            Router web = Router.router(vertx);
            router.mount(web);
            server = vertx.createHttpServer().requestHandler(web);
            server.listen(0, "127.0.0.1")
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        }

        String base() {
            return "http://127.0.0.1:" + server.actualPort();
        }

        @Override
        public void close() throws Exception {
            router.close();
            server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /** Creates a session, its access Secret (as the operator would) and an empty credential Secret; returns the token. */
    static String createSession(
            KubernetesClient client, String ns, String name, String idleTimeout, String serverPassword) {
        return createSession(client, ns, name, "alice@example.com", idleTimeout, serverPassword);
    }

    static String createSession(
            KubernetesClient client, String ns, String name, String owner, String idleTimeout, String serverPassword) {
        client.resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(ns)
                        .endMetadata()
                        .build())
                .createOr(r -> r.update());
        CollabSessionSpec spec = new CollabSessionSpec(owner, name + "-creds");
        spec.setIdleTimeout(idleTimeout);
        client.resource(new CollabSession(ns, name, spec)).create();
        String token = "tok-" + name + "-abcdefghijklmnopqrstuvwxyz";
        client.secrets()
                .inNamespace(ns)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName(CollabLabels.accessSecretName(name))
                        .addToLabels(CollabLabels.ROLE, CollabLabels.ROLE_ACCESS)
                        .addToLabels(CollabLabels.SESSION, name)
                        .endMetadata()
                        .addToData(CollabLabels.ACCESS_TOKEN_KEY, b64(token))
                        .addToData(CollabLabels.ACCESS_SERVER_PASSWORD_KEY, b64(serverPassword))
                        .build())
                .create();
        return token;
    }

    /** Simulates the operator: writes the CollabSession status through the status subresource. */
    static void setStatus(
            KubernetesClient client,
            String ns,
            String name,
            SessionPhase phase,
            StoppedReason reason,
            String endpoint) {
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace(ns)
                .withName(name)
                .get();
        CollabSessionStatus status = new CollabSessionStatus();
        status.setPhase(phase);
        status.setStoppedReason(reason);
        status.setEndpoint(endpoint);
        status.setAccessSecretName(CollabLabels.accessSecretName(name));
        boolean ready = endpoint != null;
        status.setConditions(List.of(new ConditionBuilder()
                .withType("Ready")
                .withStatus(ready ? "True" : "False")
                .withReason(ready ? "PodReady" : phase.name())
                .withMessage("set by the test")
                .withLastTransitionTime("2026-11-23T10:00:00Z")
                .build()));
        cs.setStatus(status);
        client.resource(cs).updateStatus();
    }

    static String annotation(KubernetesClient client, String ns, String name) {
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace(ns)
                .withName(name)
                .get();
        Map<String, String> a = cs == null ? null : cs.getMetadata().getAnnotations();
        return a == null ? null : a.get(CollabLabels.LAST_ACTIVITY);
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static String unb64(String s) {
        return new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8);
    }

    /** Waits for a condition with a generous deadline (no timing assertions). */
    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted while waiting for " + what);
            }
        }
        fail("timed out waiting for " + what);
    }
}

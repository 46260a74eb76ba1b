package dev.collab.operator;

import static dev.collab.operator.OperatorOnControlPlane.NS;
import static dev.collab.operator.OperatorOnControlPlane.OPERATOR_USER;
import static dev.collab.operator.OperatorOnControlPlane.SYSTEM_NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.SessionPhase;
import dev.collab.api.StoppedReason;
import dev.collab.testing.AuditLog;
import dev.collab.testing.ControlPlane;
import dev.collab.testing.ControlPlaneExtension;
import dev.collab.testing.PackagedApp;
import dev.collab.testing.Specs;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The router as the packaged application under its own ServiceAccount and the operator (in this JVM) under its
 * own, both with exactly deploy/'s RBAC, through a session's life: create, Ready, credential upload, suspend and
 * resume, idle stop, wake by a request, delete through the router; no request of theirs is refused (audit log).
 * Pods are started by a FAKE kubelet; no opencode answers, so the woken request itself ends 502/503/504.
 */
@ExtendWith(ControlPlaneExtension.class)
class OperatorAndRouterControlPlaneIT {
    static final String ROUTER_USER = AuditLog.serviceAccount(SYSTEM_NS, "collab-router");
    static final String ADMIN_TOKEN = "router-admin-" + System.nanoTime();
    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void sessionLifecycleThroughRouterAndOperatorWithoutA403(ControlPlane plane) throws Exception {
        dev.collab.testing.Tiers.assumeAvailable(
                PackagedApp.built(), "target/quarkus-app missing: run the package phase first");
        long mark = plane.auditLog().mark();
        try (OperatorOnControlPlane env = new OperatorOnControlPlane(plane, OperatorSettings.defaults())) {
            env.admin
                    .secrets()
                    .inNamespace(SYSTEM_NS)
                    .resource(new SecretBuilder()
                            .withNewMetadata()
                            .withName("collab-router-admin")
                            .endMetadata()
                            .withStringData(Map.of("token", ADMIN_TOKEN))
                            .build())
                    .createOr(s -> s.update());
            try (PackagedApp router = PackagedApp.start(
                    plane,
                    "router",
                    plane.token(SYSTEM_NS, "collab-router"),
                    SYSTEM_NS,
                    Map.of("collab.role", "router", "collab.namespaces", NS, "collab.router.wake-wait", "2s"))) {
                env.credentials("rt-credentials", "rita");
                // Seeded: an upload changes the files in HOME, so the operator replaces the pod (Gateway mode restarts
                // nothing)
                CollabSessionSpec spec = Specs.seeded("rita", "rt-credentials");
                spec.setIdleTimeout("5s");
                env.create("rt", spec);
                CollabSession running = env.awaitSession("rt", OperatorAndRouterControlPlaneIT::isRunning);
                assertThat(send(router, "GET", "/collab/session/rt", ADMIN_TOKEN, null)
                                .body())
                        .contains("\"ready\":true");

                // A credential upload through the router reaches the Secret; the operator replaces the pod.
                HttpResponse<String> upload = send(
                        router,
                        "PUT",
                        "/collab/session/rt/credentials/auth.json",
                        ADMIN_TOKEN,
                        "{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-new\"}}");
                assertThat(upload.statusCode()).as(upload.body()).isBetween(200, 204);
                String before = running.getStatus().getCredentialsHash();
                env.awaitSession(
                        "rt", s -> isRunning(s) && !before.equals(s.getStatus().getCredentialsHash()));

                edit(env, true);
                env.awaitSession("rt", s -> s.getStatus().getStoppedReason() == StoppedReason.Suspended);
                edit(env, false);
                env.awaitSession("rt", s -> s.getStatus().getStoppedReason() == StoppedReason.IdleTimeout);

                // A request with the session's token wakes it: the router writes the activity annotation.
                String token = new String(
                        Base64.getDecoder()
                                .decode(env.admin
                                        .secrets()
                                        .inNamespace(NS)
                                        .withName(CollabLabels.accessSecretName("rt"))
                                        .get()
                                        .getData()
                                        .get(CollabLabels.ACCESS_TOKEN_KEY)),
                        StandardCharsets.UTF_8);
                send(router, "GET", "/s/rt/global/health", token, null);
                env.awaitSession("rt", OperatorAndRouterControlPlaneIT::isRunning);
                assertThat(plane.auditLog()
                                .writes(
                                        mark,
                                        e -> e.by(ROUTER_USER)
                                                && e.resource().equals("collabsessions")
                                                && e.verb().equals("patch")))
                        .as("the router's activity annotation")
                        .isNotEmpty();

                assertThat(send(router, "DELETE", "/collab/session/rt", ADMIN_TOKEN, null)
                                .statusCode())
                        .isBetween(200, 204);
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> env.session("rt") == null
                                && env.admin
                                                .pods()
                                                .inNamespace(NS)
                                                .withName("rt")
                                                .get()
                                        == null);
            }
        }
        assertThat(plane.auditLog().forbidden(mark, OPERATOR_USER))
                .as("operator requests refused")
                .isEmpty();
        assertThat(plane.auditLog().forbidden(mark, ROUTER_USER))
                .as("router requests refused")
                .isEmpty();
    }

    static boolean isRunning(CollabSession s) {
        return s.getStatus() != null && s.getStatus().getPhase() == SessionPhase.Running;
    }

    static void edit(OperatorOnControlPlane env, boolean suspend) {
        env.admin
                .resources(CollabSession.class)
                .inNamespace(NS)
                .withName("rt")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"suspend\":" + suspend + "}}");
    }

    HttpResponse<String> send(PackagedApp router, String method, String path, String token, String body)
            throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(router.baseUrl() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}

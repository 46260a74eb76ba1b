package dev.collab.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CollabSessionStatus;
import dev.collab.api.CredentialsMode;
import dev.collab.api.Placeholders;
import dev.collab.api.SessionPhase;
import dev.collab.gateway.CredentialGateway;
import dev.collab.gateway.GatewaySettings;
import dev.collab.testing.AuditLog;
import dev.collab.testing.CollabInstall;
import dev.collab.testing.ControlPlane;
import dev.collab.testing.ControlPlaneExtension;
import dev.collab.testing.Kubectl;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The RBAC that {@code deploy/} ships, asked of the real authorizer with {@code kubectl auth can-i --as=...}: each
 * identity may do what the DEPLOYMENT.md security model says, and may not do what it says it may not.
 * (The operator using exactly this RBAC through a session's life without a 403: SessionLifecycleControlPlaneIT.)
 */
@ExtendWith(ControlPlaneExtension.class)
class RbacControlPlaneIT {
    static final String OPERATOR = AuditLog.serviceAccount("collab-system", "collab-operator");
    static final String ROUTER = AuditLog.serviceAccount("collab-system", "collab-router");
    static final String SESSION = AuditLog.serviceAccount("collab", "collab-session");
    static final String GATEWAY = AuditLog.serviceAccount("collab-system", "collab-gateway");

    @BeforeAll
    static void install(ControlPlane plane) {
        CollabInstall.deployRbac(plane);
    }

    @Test
    void operatorMayManageSessionChildrenAndItsLeaseOnly(ControlPlane plane) {
        assertAnswers(
                plane,
                OPERATOR,
                true,
                "get collabsessions -n collab",
                "watch collabsessions -n collab",
                "patch collabsessions -n collab",
                "patch collabsessions --subresource=status -n collab",
                "create pods -n collab",
                "delete pods -n collab",
                "create persistentvolumeclaims -n collab",
                "delete persistentvolumeclaims -n collab",
                "watch secrets -n collab",
                "create secrets -n collab",
                // A claimed warm worker's access Secret is adopted (update), a duplicate worker's released (delete).
                "update secrets -n collab",
                "delete secrets -n collab",
                // A claim moves a warm worker to its session with a conditional PUT.
                "update pods -n collab",
                "create events -n collab",
                "create leases.coordination.k8s.io -n collab-system",
                "update leases.coordination.k8s.io/collab-session-operator -n collab-system",
                "patch leases.coordination.k8s.io/collab-session-operator -n collab-system");
        assertAnswers(
                plane,
                OPERATOR,
                false,
                "create pods --subresource=exec -n collab",
                "create pods --subresource=attach -n collab",
                "create pods --subresource=portforward -n collab",
                "get secrets -n collab-system",
                "get secrets -n default",
                "create services -n collab",
                "create deployments.apps -n collab",
                "create roles.rbac.authorization.k8s.io -n collab",
                "create collabsessions -n collab",
                "delete collabsessions -n collab",
                "update leases.coordination.k8s.io/someone-else -n collab-system",
                "get pods -n default",
                "create namespaces",
                "list nodes",
                "create clusterroles.rbac.authorization.k8s.io",
                "list customresourcedefinitions.apiextensions.k8s.io");
    }

    @Test
    void routerMayServeSessionsAndCredentialsOnly(ControlPlane plane) {
        assertAnswers(
                plane,
                ROUTER,
                true,
                "get collabsessions -n collab",
                "watch collabsessions -n collab",
                "patch collabsessions -n collab",
                "delete collabsessions -n collab",
                "get secrets -n collab",
                "create secrets -n collab",
                "patch secrets -n collab",
                "get secrets/collab-router-admin -n collab-system");
        assertAnswers(
                plane,
                ROUTER,
                false,
                "get pods -n collab",
                "create pods --subresource=exec -n collab",
                "get persistentvolumeclaims -n collab",
                "patch collabsessions --subresource=status -n collab",
                "create collabsessions -n collab",
                "delete secrets -n collab",
                "get secrets/other -n collab-system",
                "list secrets -n collab-system",
                "get secrets -n default",
                "create namespaces",
                "list nodes",
                "get leases.coordination.k8s.io -n collab-system");
    }

    @Test
    void gatewayMayReadSessionsAndCredentialsAndWriteUsageOnly(ControlPlane plane) {
        assertAnswers(
                plane,
                GATEWAY,
                true,
                "get collabsessions -n collab",
                "list collabsessions -n collab",
                "watch collabsessions -n collab",
                "patch collabsessions --subresource=status -n collab",
                "update collabsessions --subresource=status -n collab",
                "list secrets -n collab",
                "watch secrets -n collab",
                // refreshed OAuth tokens and the account pool's state go back into the credential Secret
                "update secrets -n collab",
                "create events -n collab",
                "get secrets/collab-gateway-key -n collab-system",
                "watch secrets/collab-gateway-key -n collab-system");
        assertAnswers(
                plane,
                GATEWAY,
                false,
                "create secrets -n collab",
                "patch secrets -n collab",
                "delete secrets -n collab",
                "create collabsessions -n collab",
                "patch collabsessions -n collab",
                "update collabsessions -n collab",
                "delete collabsessions -n collab",
                "get pods -n collab",
                "create pods --subresource=exec -n collab",
                "get persistentvolumeclaims -n collab",
                "get secrets/other -n collab-system",
                "list secrets -n collab-system",
                "update secrets/collab-gateway-key -n collab-system",
                "get secrets -n default",
                "get leases.coordination.k8s.io -n collab-system",
                "create namespaces",
                "list nodes");
    }

    /**
     * The gateway as deploy/ runs it: its client is the collab-gateway ServiceAccount (token from TokenRequest); it
     * watches sessions, credential Secrets and its key, swaps a session's placeholder for the real key on a request
     * to a FAKE Anthropic endpoint on loopback, and writes the usage into status.usage, with no request refused.
     * The test plays the operator (the session's status, the gateway key).
     */
    @Test
    void gatewayServesAndWritesUsageAsItsServiceAccountWithoutA403(ControlPlane plane) throws Exception {
        long mark = plane.auditLog().mark();
        KubernetesClient admin = plane.admin();
        Secret key = admin.secrets()
                .inNamespace("collab-system")
                .withName("collab-gateway-key")
                .get(); // the operator's, if one ran before
        if (key == null) {
            key = admin.secrets()
                    .inNamespace("collab-system")
                    .resource(new SecretBuilder()
                            .withNewMetadata()
                            .withName("collab-gateway-key")
                            .endMetadata()
                            .addToData(Placeholders.KEY_DATA_KEY, b64("rbac-test-key-of-32-bytes-......."))
                            .build())
                    .create();
        }
        admin.secrets()
                .inNamespace("collab")
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("rbac-gw-credentials")
                        .withLabels(CollabLabels.credentialSecretLabels("grace"))
                        .endMetadata()
                        .addToData("auth.json", b64("{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-ant-grace\"}}"))
                        .build())
                .createOr(existing -> existing.update());
        CollabSessionSpec spec = new CollabSessionSpec("grace", "rbac-gw-credentials");
        spec.getCredentials().setMode(CredentialsMode.Gateway);
        CollabSession session = admin.resources(CollabSession.class)
                .resource(new CollabSession("collab", "rbac-gw", spec))
                .create();
        CollabSessionStatus status = new CollabSessionStatus();
        status.setPhase(SessionPhase.Running);
        status.setEndpoint("http://127.0.0.1:4096"); // the session's pod IP: loopback, where this test calls from
        session.setStatus(status);
        session = admin.resource(session).updateStatus();

        Vertx vertx = Vertx.vertx();
        List<String> upstreamKeys = new CopyOnWriteArrayList<>();
        try {
            HttpServer upstream = listen(vertx.createHttpServer()
                    .requestHandler(req -> req.body().onSuccess(b -> {
                        upstreamKeys.add(req.getHeader("x-api-key"));
                        req.response()
                                .putHeader("content-type", "application/json")
                                .end("{\"model\":\"claude-x\",\"usage\":{\"input_tokens\":5,\"output_tokens\":3}}");
                    })));
            GatewaySettings settings = new GatewaySettings(
                    List.of("collab"),
                    "collab-system",
                    "collab-gateway-key",
                    URI.create("http://127.0.0.1:" + upstream.actualPort()),
                    true,
                    CredentialsMode.Seeded,
                    Duration.ofHours(1),
                    Duration.ofSeconds(10));
            try (CredentialGateway gateway = new CredentialGateway(
                            vertx,
                            plane.clientAs("collab-system", "collab-gateway"),
                            settings,
                            new SimpleMeterRegistry(),
                            Clock.systemUTC())
                    .start()) {
                Router web = Router.router(vertx);
                gateway.mount(web);
                HttpServer front = listen(vertx.createHttpServer().requestHandler(web));
                await().atMost(Duration.ofSeconds(30)).until(() -> gateway.ready() && gateway.gatewaySessions() >= 1);
                String placeholder = Placeholders.access(
                        Placeholders.keyFrom(key),
                        "collab",
                        "rbac-gw",
                        session.getMetadata().getUid());

                HttpResponse<String> answer = java.net.http.HttpClient.newHttpClient()
                        .send(
                                HttpRequest.newBuilder(
                                                URI.create("http://127.0.0.1:" + front.actualPort() + "/v1/messages"))
                                        .header("x-api-key", placeholder)
                                        .header("content-type", "application/json")
                                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                assertThat(upstreamKeys).containsExactly("sk-ant-grace");
                // the usage is recorded when the upstream response has ended, which may be just after the client saw it
                await("status.usage written by the gateway (refused writes: " + GATEWAY + " in the audit log)")
                        .atMost(Duration.ofSeconds(30))
                        .until(() -> {
                            gateway.flushUsage();
                            CollabSession now = admin.resources(CollabSession.class)
                                    .inNamespace("collab")
                                    .withName("rbac-gw")
                                    .get();
                            return now.getStatus().getUsage() != null;
                        });
            }
            CollabSession written = admin.resources(CollabSession.class)
                    .inNamespace("collab")
                    .withName("rbac-gw")
                    .get();
            assertThat(written.getStatus().getUsage().getRequests()).isEqualTo(1);
            assertThat(written.getStatus().getUsage().getOutputTokens()).isEqualTo(3);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            admin.resources(CollabSession.class)
                    .inNamespace("collab")
                    .withName("rbac-gw")
                    .delete();
        }
        assertThat(plane.auditLog().forbidden(mark, GATEWAY))
                .as("requests of the gateway that deploy/'s RBAC refused")
                .isEmpty();
    }

    static HttpServer listen(HttpServer server) throws Exception {
        return server.listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void sessionServiceAccountMayDoNothing(ControlPlane plane) {
        assertAnswers(
                plane,
                SESSION,
                false,
                "get pods -n collab",
                "get collabsessions -n collab",
                "get secrets -n collab",
                "create events -n collab",
                "list namespaces");
    }

    /** Every question gets the expected answer; the failure lists all that did not. */
    static void assertAnswers(ControlPlane plane, String user, boolean expected, String... questions) {
        Kubectl kubectl = plane.kubectl();
        List<String> wrong = new ArrayList<>();
        for (String question : questions) {
            List<String> args = new ArrayList<>(List.of("auth", "can-i", "--as=" + user));
            args.addAll(List.of(question.split(" ")));
            Kubectl.Result answer = kubectl.run(args.toArray(String[]::new));
            if (answer.exitCode() > 1) {
                throw new AssertionError("kubectl auth can-i " + question + ": " + answer.err());
            }
            if ((answer.exitCode() == 0) != expected) {
                wrong.add(question + " -> " + answer.out().strip());
            }
        }
        assertThat(wrong)
                .as("%s: can-i answers other than %s", user, expected ? "yes" : "no")
                .isEmpty();
    }
}

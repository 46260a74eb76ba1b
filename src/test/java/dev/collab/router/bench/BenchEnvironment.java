package dev.collab.router.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CollabSessionStatus;
import dev.collab.api.SessionPhase;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;

/**
 * Benchmark environment (not a test): a Fabric8 mock API server in CRUD mode on 127.0.0.1:{apiPort} holding a
 * Running CollabSession "bench" whose endpoint is a fake opencode on 127.0.0.1:{backendPort}. The fake answers
 * GET /global/health with a small JSON body and GET /event with an SSE stream that sends one event and stays open.
 * With a sixth argument, a second Running session "benchng" points at 127.0.0.1:{extraBackendPort} (run.sh puts an
 * nginx {@code return 200} there); both sessions share the token and server password.
 * Usage: BenchEnvironment apiPort backendPort token serverPassword adminToken [extraBackendPort]
 */
public final class BenchEnvironment {
    public static void main(String[] args) throws Exception {
        int apiPort = Integer.parseInt(args[0]);
        int backendPort = Integer.parseInt(args[1]);
        String token = args[2];
        String password = args[3];
        String adminToken = args[4];
        String expectedAuth = "Basic "
                + Base64.getEncoder().encodeToString(("opencode:" + password).getBytes(StandardCharsets.UTF_8));

        Vertx vertx = Vertx.vertx();
        Buffer health = Buffer.buffer("{\"healthy\":true,\"version\":\"bench\"}");
        vertx.createHttpServer()
                .requestHandler(req -> {
                    if (!expectedAuth.equals(req.getHeader("Authorization"))) {
                        req.response().setStatusCode(401).end();
                        return;
                    }
                    if (req.path().equals("/event")) {
                        req.response()
                                .setChunked(true)
                                .putHeader("Content-Type", "text/event-stream")
                                .write("data: {\"type\":\"server.connected\"}\n\n");
                        return;
                    }
                    req.response().putHeader("Content-Type", "application/json").end(health);
                })
                .listen(backendPort, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get();

        CustomResourceDefinitionContext crd = CollabSession.crdContext();
        KubernetesMockServer server = new KubernetesMockServer(
                new Context(new ObjectMapper()),
                new MockWebServer(),
                new HashMap<>(),
                new KubernetesCrudDispatcher(List.of(crd)),
                false);
        server.init(InetAddress.getByName("127.0.0.1"), apiPort);
        KubernetesClient client = server.createClient();
        for (String ns : List.of("collab-system", "bench")) {
            client.resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName(ns)
                            .endMetadata()
                            .build())
                    .create();
        }
        client.secrets()
                .inNamespace("collab-system")
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("collab-router-admin")
                        .endMetadata()
                        .addToData("token", b64(adminToken))
                        .build())
                .create();
        running(client, "bench", backendPort, token, password);
        if (args.length > 5) {
            running(client, "benchng", Integer.parseInt(args[5]), token, password);
        }
        System.out.println("READY api=http://127.0.0.1:" + apiPort + " backend=http://127.0.0.1:" + backendPort);
        System.out.flush();
        Thread.currentThread().join();
    }

    /** Creates session {name} with its access Secret and plays the operator: Running, endpoint 127.0.0.1:{port}. */
    private static void running(KubernetesClient client, String name, int port, String token, String password) {
        client.resource(new CollabSession("bench", name, new CollabSessionSpec(name + "@example.com", "bench-creds")))
                .create();
        client.secrets()
                .inNamespace("bench")
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName(name + "-access")
                        .addToLabels(CollabLabels.ROLE, CollabLabels.ROLE_ACCESS)
                        .addToLabels(CollabLabels.SESSION, name)
                        .endMetadata()
                        .addToData(CollabLabels.ACCESS_TOKEN_KEY, b64(token))
                        .addToData(CollabLabels.ACCESS_SERVER_PASSWORD_KEY, b64(password))
                        .build())
                .create();
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace("bench")
                .withName(name)
                .get();
        CollabSessionStatus status = new CollabSessionStatus();
        status.setPhase(SessionPhase.Running);
        status.setEndpoint("http://127.0.0.1:" + port);
        status.setAccessSecretName(name + "-access");
        status.setConditions(List.of(new ConditionBuilder()
                .withType("Ready")
                .withStatus("True")
                .withReason("PodReady")
                .build()));
        cs.setStatus(status);
        client.resource(cs).updateStatus();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}

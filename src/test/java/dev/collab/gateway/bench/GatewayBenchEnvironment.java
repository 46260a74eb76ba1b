package dev.collab.gateway.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CollabSessionStatus;
import dev.collab.api.CredentialsMode;
import dev.collab.api.Placeholders;
import dev.collab.api.SessionPhase;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;

/**
 * Benchmark environment (not a test): a Fabric8 mock API server in CRUD mode on 127.0.0.1:{apiPort} holding one
 * Gateway-mode CollabSession "bench" (pod IP 127.0.0.1), its credential Secret and the gateway key, and a fake
 * Anthropic endpoint on 127.0.0.1:{backendPort} that requires the real key: POST /v1/messages answers a small JSON
 * message with usage, POST /v1/messages?stream=1 an SSE completion whose first event goes out at once and the rest
 * 20 ms later, POST /v1/messages?stream=now the same events as four chunks at once (no wait: the CPU rounds' streaming
 * case), GET /v1/hold one event and then stays open. Prints "READY placeholder=...".
 * Usage: GatewayBenchEnvironment apiPort backendPort realKey
 */
public final class GatewayBenchEnvironment {
    public static void main(String[] args) throws Exception {
        int apiPort = Integer.parseInt(args[0]);
        int backendPort = Integer.parseInt(args[1]);
        String realKey = args[2];
        byte[] gatewayKey = "bench-gateway-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8);

        Vertx vertx = Vertx.vertx();
        Buffer json = Buffer.buffer(
                "{\"id\":\"msg_bench\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-bench\","
                        + "\"content\":[{\"type\":\"text\",\"text\":\"hello\"}],\"stop_reason\":\"end_turn\","
                        + "\"usage\":{\"input_tokens\":12,\"output_tokens\":3}}");
        String start =
                "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-bench\","
                        + "\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}\n\n";
        String rest =
                "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
                        + "\"text_delta\",\"text\":\"hello\"}}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":"
                        + "{\"output_tokens\":3}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
        vertx.createHttpServer()
                .requestHandler(req -> req.body().onSuccess(body -> {
                    if (!realKey.equals(req.getHeader("x-api-key"))
                            && !("Bearer " + realKey).equals(req.getHeader("Authorization"))) {
                        req.response().setStatusCode(401).end();
                        return;
                    }
                    if (req.path().equals("/v1/hold")) {
                        req.response()
                                .setChunked(true)
                                .putHeader("Content-Type", "text/event-stream")
                                .write(start);
                        return;
                    }
                    if ("now".equals(req.getParam("stream"))) {
                        // the CPU rounds' streaming case: the same events as separate chunks, without the wait
                        HttpServerResponse r =
                                req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
                        r.write(start);
                        for (String event : rest.split("(?<=\n\n)")) {
                            r.write(event);
                        }
                        r.end();
                        return;
                    }
                    if ("1".equals(req.getParam("stream"))) {
                        req.response()
                                .setChunked(true)
                                .putHeader("Content-Type", "text/event-stream")
                                .write(start);
                        vertx.setTimer(20, t -> req.response().end(rest));
                        return;
                    }
                    req.response().putHeader("Content-Type", "application/json").end(json);
                }))
                .listen(backendPort, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get();

        KubernetesMockServer server = new KubernetesMockServer(
                new Context(new ObjectMapper()),
                new MockWebServer(),
                new HashMap<>(),
                new KubernetesCrudDispatcher(List.of(CollabSession.crdContext())),
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
                        .withName("collab-gateway-key")
                        .endMetadata()
                        .addToData(
                                Placeholders.KEY_DATA_KEY, Base64.getEncoder().encodeToString(gatewayKey))
                        .build())
                .create();
        client.secrets()
                .inNamespace("bench")
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("bench-creds")
                        .withLabels(CollabLabels.credentialSecretLabels("bench@example.com"))
                        .endMetadata()
                        .addToData("auth.json", b64("{\"anthropic\":{\"type\":\"api\",\"key\":\"" + realKey + "\"}}"))
                        .build())
                .create();
        CollabSessionSpec spec = new CollabSessionSpec("bench@example.com", "bench-creds");
        spec.getCredentials().setMode(CredentialsMode.Gateway);
        client.resource(new CollabSession("bench", "bench", spec)).create();
        // Plays the operator: the session runs on this machine's address, which the gateway checks.
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace("bench")
                .withName("bench")
                .get();
        CollabSessionStatus status = new CollabSessionStatus();
        status.setPhase(SessionPhase.Running);
        status.setEndpoint("http://127.0.0.1:4096");
        cs.setStatus(status);
        client.resource(cs).updateStatus();
        System.out.println("READY placeholder="
                + Placeholders.access(
                        gatewayKey, "bench", "bench", cs.getMetadata().getUid()));
        System.out.flush();
        Thread.currentThread().join();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}

package dev.collab.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CredentialsMode;
import dev.collab.api.Placeholders;
import dev.collab.api.SessionPhase;
import dev.collab.api.SessionUsage;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway against the Fabric8 mock API server (CRUD mode; the test writes the sessions' status, playing the
 * operator) and a fake Anthropic endpoint on loopback (Vert.x) that records what reaches it. Sessions alice (api
 * key) and bob (OAuth) run in Gateway mode with a pod IP of 127.0.0.1, dave's pod IP is elsewhere, carol is Seeded,
 * eve names alice's Secret (another owner's).
 */
@EnableKubernetesMockClient(crud = true)
class CredentialGatewayTest {
    static KubernetesMockServer server;
    static KubernetesClient client;

    private static final String NS = "team";
    private static final String KEY_NS = "collab-system";
    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final String ALICE_KEY = "sk-ant-alice-real";
    private static final String BOB_ACCESS = "sk-ant-oat-bob-real";

    private static Vertx vertx;
    private static HttpServer upstream;
    private static HttpServer front;
    private static HttpServer deadFront;
    private static CredentialGateway gateway;
    private static CredentialGateway deadGateway;
    private static final List<MultiMap> seen = new CopyOnWriteArrayList<>();
    private static volatile CompletableFuture<Void> releaseStream = new CompletableFuture<>();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        PoolGatewayFixture.prepareCluster(server, client);
        credentials(
                "alice-creds",
                "alice@example.com",
                Map.of("auth.json", "{\"anthropic\":{\"type\":\"api\",\"key\":\"" + ALICE_KEY + "\"}}"));
        credentials(
                "bob-creds",
                "bob@example.com",
                Map.of(
                        "claude-credentials.json",
                        "{\"claudeAiOauth\":{\"accessToken\":\"" + BOB_ACCESS
                                + "\",\"refreshToken\":\"sk-ant-ort-bob\",\"expiresAt\":4102444800000}}"));
        session("alice", "alice-creds", CredentialsMode.Gateway, "http://127.0.0.1:4096");
        session("bob", "bob-creds", CredentialsMode.Gateway, "http://127.0.0.1:4096");
        session("dave", "alice-creds", CredentialsMode.Gateway, "http://10.1.2.3:4096");
        session("carol", "alice-creds", CredentialsMode.Seeded, "http://127.0.0.1:4096");
        session("eve", "alice-creds", CredentialsMode.Gateway, "http://127.0.0.1:4096"); // names another owner's Secret

        vertx = Vertx.vertx();
        upstream = vertx.createHttpServer()
                .requestHandler(req -> req.body().onSuccess(body -> {
                    seen.add(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
                    HttpServerResponse resp = req.response();
                    if (req.path().equals("/v1/slow")) {
                        return; // never answers
                    }
                    if (req.getHeader("x-test-stream") != null) {
                        resp.setChunked(true).putHeader("content-type", "text/event-stream");
                        resp.write(
                                sse(
                                        "message_start",
                                        "{\"type\":\"message_start\",\"message\":{\"model\":\"claude-stream\","
                                                + "\"usage\":{\"input_tokens\":21,\"output_tokens\":1,\"cache_read_input_tokens\":4}}}"));
                        CompletableFuture<Void> release = releaseStream;
                        release.whenComplete((v, t) -> vertx.runOnContext(x -> resp.end(sse(
                                        "content_block_delta",
                                        "{\"type\":\"content_block_delta\",\"delta\":{\"text\":\"hi\"}}")
                                + sse("message_delta", "{\"type\":\"message_delta\",\"usage\":{\"output_tokens\":13}}")
                                + sse("message_stop", "{\"type\":\"message_stop\"}"))));
                        return;
                    }
                    resp.putHeader("content-type", "application/json")
                            .putHeader("request-id", "req_1")
                            .end(
                                    "{\"id\":\"msg_1\",\"model\":\"claude-json\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}],"
                                            + "\"usage\":{\"input_tokens\":11,\"output_tokens\":7,\"cache_read_input_tokens\":3,"
                                            + "\"cache_creation_input_tokens\":2}}");
                }));
        upstream.listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        gateway = new CredentialGateway(
                        vertx,
                        client,
                        settings("http://127.0.0.1:" + upstream.actualPort()),
                        new SimpleMeterRegistry(),
                        Clock.systemUTC())
                .start();
        front = serve(gateway);
        // a provider that refuses connections: a port that was free a moment ago
        HttpServer closed = vertx.createHttpServer().requestHandler(r -> {});
        closed.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        int closedPort = closed.actualPort();
        closed.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        deadGateway = new CredentialGateway(
                        vertx,
                        client,
                        settings("http://127.0.0.1:" + closedPort),
                        new SimpleMeterRegistry(),
                        Clock.systemUTC())
                .start();
        deadFront = serve(deadGateway);
        RunningSessions.await(
                "gateways synced with four Gateway-mode sessions",
                () -> gateway.ready()
                        && deadGateway.ready()
                        && gateway.gatewaySessions() == 4
                        && deadGateway.gatewaySessions() == 4);
    }

    @AfterAll
    static void stop() throws Exception {
        releaseStream.complete(null);
        for (CredentialGateway g : new CredentialGateway[] {gateway, deadGateway}) {
            if (g != null) {
                g.close();
            }
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private static GatewaySettings settings(String upstreamUrl) {
        return new GatewaySettings(
                List.of(NS),
                KEY_NS,
                "collab-gateway-key",
                URI.create(upstreamUrl),
                true,
                CredentialsMode.Seeded,
                Duration.ofMillis(200),
                Duration.ofSeconds(2));
    }

    private static HttpServer serve(CredentialGateway g) throws Exception {
        Router web = Router.router(vertx);
        g.mount(web);
        return vertx.createHttpServer()
                .requestHandler(web)
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }

    @Test
    void apiKeyPlaceholderBecomesTheRealKeyAndOtherHeadersStay() throws Exception {
        int before = seen.size();
        HttpResponse<String> r = send(
                front,
                "/v1/messages",
                "x-api-key",
                placeholder("alice"),
                "anthropic-version",
                "2023-06-01",
                "anthropic-beta",
                "tools-2024",
                "cookie",
                "c=1");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("claude-json");
        assertThat(r.headers().firstValue("request-id")).hasValue("req_1");
        MultiMap up = seen.get(before);
        assertThat(up.get("x-api-key")).isEqualTo(ALICE_KEY);
        assertThat(up.get("authorization")).isNull();
        assertThat(up.get("cookie")).isNull();
        assertThat(up.get("anthropic-version")).isEqualTo("2023-06-01");
        assertThat(up.get("anthropic-beta")).isEqualTo("tools-2024");
        assertThat(up.toString()).doesNotContain(Placeholders.PREFIX);
    }

    @Test
    void bearerPlaceholderBecomesTheRealAccessToken() throws Exception {
        int before = seen.size();
        HttpResponse<String> r = send(
                front,
                "/v1/messages",
                "authorization",
                "Bearer " + placeholder("bob"),
                "anthropic-beta",
                "oauth-2025-04-20");
        assertThat(r.statusCode()).isEqualTo(200);
        MultiMap up = seen.get(before);
        assertThat(up.get("authorization")).isEqualTo("Bearer " + BOB_ACCESS);
        assertThat(up.get("x-api-key")).isNull();
        assertThat(up.get("anthropic-beta")).isEqualTo("oauth-2025-04-20");
    }

    @Test
    void anythingButTheSessionsOwnPlaceholderFromItsPodIsRefused() throws Exception {
        int before = seen.size();
        assertRefused(send(front, "/v1/messages"), 401);
        assertRefused(send(front, "/v1/messages", "x-api-key", ALICE_KEY), 403);
        assertRefused(send(front, "/v1/messages", "x-api-key", Placeholders.PREFIX + "forged"), 403);
        byte[] otherKey = "another-key-of-sixteen-bytes-or-more".getBytes(StandardCharsets.UTF_8);
        CollabSession alice = client.resources(CollabSession.class)
                .inNamespace(NS)
                .withName("alice")
                .get();
        assertRefused(
                send(
                        front,
                        "/v1/messages",
                        "x-api-key",
                        Placeholders.access(
                                otherKey, NS, "alice", alice.getMetadata().getUid())),
                403);
        assertRefused(send(front, "/v1/messages", "x-api-key", placeholder("carol")), 403); // Seeded: no placeholder
        assertRefused(send(front, "/v1/messages", "x-api-key", refreshPlaceholder("alice")), 403);
        assertRefused(send(front, "/v1/messages", "x-api-key", placeholder("dave")), 403); // pod IP 10.1.2.3
        assertRefused(send(front, "/v1/messages", "x-api-key", placeholder("eve")), 503); // alice's Secret is not eve's
        assertThat(seen).hasSize(before);
    }

    @Test
    void sseReachesTheClientEventByEventAndUsageIsCounted() throws Exception {
        SessionUsage start = usage("bob");
        releaseStream = new CompletableFuture<>();
        HttpResponse<Stream<String>> r = HTTP.send(
                request(front, "/v1/messages", "authorization", "Bearer " + placeholder("bob"), "x-test-stream", "1"),
                HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        Iterator<String> lines = r.body().iterator();
        assertThat(lines.next()).isEqualTo("event: message_start"); // while the provider still holds the rest
        assertThat(releaseStream).isNotDone();
        releaseStream.complete(null);
        StringBuilder rest = new StringBuilder();
        lines.forEachRemaining(l -> rest.append(l).append('\n'));
        assertThat(rest).contains("message_stop");
        RunningSessions.await("bob's usage in status", () -> usage("bob").getRequests() == start.getRequests() + 1);
        SessionUsage now = usage("bob");
        assertThat(now.getInputTokens() - start.getInputTokens()).isEqualTo(21);
        assertThat(now.getOutputTokens() - start.getOutputTokens()).isEqualTo(13);
        assertThat(now.getCacheReadTokens() - start.getCacheReadTokens()).isEqualTo(4);
    }

    @Test
    void jsonUsageIsAddedToTheSessionStatus() throws Exception {
        SessionUsage start = usage("alice");
        for (int i = 0; i < 2; i++) {
            assertThat(send(front, "/v1/messages", "x-api-key", placeholder("alice"))
                            .statusCode())
                    .isEqualTo(200);
        }
        RunningSessions.await("alice's usage in status", () -> usage("alice").getRequests() >= start.getRequests() + 2);
        SessionUsage now = usage("alice");
        assertThat(now.getRequests() - start.getRequests()).isEqualTo(2);
        assertThat(now.getInputTokens() - start.getInputTokens()).isEqualTo(22);
        assertThat(now.getOutputTokens() - start.getOutputTokens()).isEqualTo(14);
        assertThat(now.getCacheWriteTokens() - start.getCacheWriteTokens()).isEqualTo(4);
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace(NS)
                .withName("alice")
                .get();
        assertThat(cs.getStatus().getPhase()).isEqualTo(SessionPhase.Running); // the rest of the status is untouched
    }

    @Test
    void anUploadedKeyIsUsedOnTheNextRequest() throws Exception {
        credentials(
                "alice-creds",
                "alice@example.com",
                Map.of("auth.json", "{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-ant-alice-new\"}}"));
        try {
            RunningSessions.await("the new key reaches the provider", () -> {
                int before = seen.size();
                try {
                    send(front, "/v1/messages", "x-api-key", placeholder("alice"));
                } catch (Exception e) {
                    return false;
                }
                return "sk-ant-alice-new".equals(seen.get(before).get("x-api-key"));
            });
        } finally {
            credentials(
                    "alice-creds",
                    "alice@example.com",
                    Map.of("auth.json", "{\"anthropic\":{\"type\":\"api\",\"key\":\"" + ALICE_KEY + "\"}}"));
            RunningSessions.await("the old key back", () -> {
                int before = seen.size();
                try {
                    send(front, "/v1/messages", "x-api-key", placeholder("alice"));
                } catch (Exception e) {
                    return false;
                }
                return ALICE_KEY.equals(seen.get(before).get("x-api-key"));
            });
        }
    }

    @Test
    void providerFailuresAnswer502And504WithJson() throws Exception {
        HttpResponse<String> refused = send(deadFront, "/v1/messages", "x-api-key", placeholder("alice"));
        assertThat(refused.statusCode()).isEqualTo(502);
        assertThat(refused.body()).contains("\"type\":\"error\"").doesNotContain(ALICE_KEY);
        HttpResponse<String> slow = send(front, "/v1/slow", "x-api-key", placeholder("alice"));
        assertThat(slow.statusCode()).isEqualTo(504);
        assertThat(slow.body()).contains("timeout_error");
    }

    private static void assertRefused(HttpResponse<String> r, int status) {
        assertThat(r.statusCode()).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(r.body())
                .contains("\"type\":\"error\"")
                .doesNotContain(Placeholders.PREFIX)
                .doesNotContain(ALICE_KEY);
    }

    private static SessionUsage usage(String name) {
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace(NS)
                .withName(name)
                .get();
        SessionUsage u = cs.getStatus().getUsage();
        return u == null ? new SessionUsage() : u;
    }

    private static String placeholder(String name) {
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace(NS)
                .withName(name)
                .get();
        return Placeholders.access(KEY, NS, name, cs.getMetadata().getUid());
    }

    private static String refreshPlaceholder(String name) {
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace(NS)
                .withName(name)
                .get();
        return Placeholders.refresh(KEY, NS, name, cs.getMetadata().getUid());
    }

    private static HttpResponse<String> send(HttpServer to, String path, String... headers) throws Exception {
        return HTTP.send(request(to, path, headers), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest request(HttpServer to, String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + to.actualPort() + path))
                .timeout(Duration.ofSeconds(30))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-x\",\"messages\":[]}"));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b.build();
    }

    /** A credential Secret opted in for sessions of `owner` (as the router's upload endpoint writes it). */
    private static void credentials(String name, String owner, Map<String, String> files) {
        SecretBuilder b = new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NS)
                .withLabels(CollabLabels.credentialSecretLabels(owner))
                .endMetadata();
        files.forEach((k, v) -> b.addToData(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        client.secrets().inNamespace(NS).resource(b.build()).createOr(r -> r.update());
    }

    private static void session(String name, String secret, CredentialsMode mode, String endpoint) {
        CollabSessionSpec spec = new CollabSessionSpec(name + "@example.com", secret);
        spec.getCredentials().setMode(mode);
        RunningSessions.create(client, NS, name, spec, endpoint);
    }

    private static String sse(String event, String data) {
        return "event: " + event + "\ndata: " + data + "\n\n";
    }
}

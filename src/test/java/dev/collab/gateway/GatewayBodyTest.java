package dev.collab.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CollabSessionStatus;
import dev.collab.api.CredentialsMode;
import dev.collab.api.Placeholders;
import dev.collab.api.SessionPhase;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Request bodies through the gateway (issue 30 items 6, 17, 18). Faked: the API server is the Fabric8 mock (CRUD; the
 * test writes session alice's status as the operator would), the provider is a loopback Vert.x server that counts
 * requests it could not parse (bad requests) and the body bytes it received, and clients are raw sockets or a Vert.x
 * client where a test needs to stop mid-body or send chunks without a length.
 */
@EnableKubernetesMockClient(crud = true)
class GatewayBodyTest {
    static KubernetesMockServer server;
    static KubernetesClient client;

    private static final String NS = PoolGatewayFixture.NS;
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final AtomicInteger badRequests = new AtomicInteger();
    private static final AtomicInteger slowRequests = new AtomicInteger();
    private static final AtomicLong bodyBytes = new AtomicLong();

    private static Vertx vertx;
    private static HttpServer provider;
    private static HttpServer front;
    private static CredentialGateway gateway;
    private static final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeAll
    static void start() throws Exception {
        PoolGatewayFixture.prepareCluster(server, client);
        client.secrets()
                .inNamespace(NS)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("alice-creds")
                        .withNamespace(NS)
                        .withLabels(CollabLabels.credentialSecretLabels("alice@example.com"))
                        .endMetadata()
                        .addToData(
                                "auth.json",
                                Base64.getEncoder()
                                        .encodeToString("{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-alice\"}}"
                                                .getBytes(StandardCharsets.UTF_8)))
                        .build())
                .create();
        CollabSessionSpec spec = new CollabSessionSpec("alice@example.com", "alice-creds");
        spec.getCredentials().setMode(CredentialsMode.Gateway);
        client.resource(new CollabSession(NS, "alice", spec)).create();
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace(NS)
                .withName("alice")
                .get();
        CollabSessionStatus status = new CollabSessionStatus();
        status.setPhase(SessionPhase.Running);
        status.setEndpoint("http://127.0.0.1:4096");
        cs.setStatus(status);
        client.resource(cs).updateStatus();

        vertx = Vertx.vertx();
        provider = vertx.createHttpServer()
                .invalidRequestHandler(req -> {
                    badRequests.incrementAndGet(); // what the real provider answers 400 to
                    req.response().setStatusCode(400).end();
                })
                .requestHandler(req -> {
                    switch (req.path()) {
                        case "/v1/early" -> // answers before reading the body, as the provider does for a bad header
                            req.response()
                                    .setStatusCode(400)
                                    .putHeader("content-type", "application/json")
                                    .end("{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\"}}");
                        case "/v1/slow" -> slowRequests.incrementAndGet(); // never answers
                        case "/v1/messages" -> {
                            req.handler(b -> bodyBytes.addAndGet(b.length()));
                            req.endHandler(v -> req.response()
                                    .putHeader("content-type", "application/json")
                                    .end("{\"id\":\"msg\",\"model\":\"m\",\"usage\":{\"input_tokens\":1,"
                                            + "\"output_tokens\":1}}"));
                        }
                        default -> {
                            badRequests.incrementAndGet();
                            req.response().setStatusCode(400).end();
                        }
                    }
                })
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        gateway = new CredentialGateway(
                        vertx,
                        client,
                        new GatewaySettings(
                                List.of(NS),
                                PoolGatewayFixture.KEY_NS,
                                "collab-gateway-key",
                                URI.create("http://127.0.0.1:" + provider.actualPort()),
                                true,
                                CredentialsMode.Seeded,
                                Duration.ofSeconds(60),
                                Duration.ofSeconds(30)),
                        registry,
                        Clock.systemUTC())
                .start();
        Router web = Router.router(vertx);
        gateway.mount(web);
        front = vertx.createHttpServer()
                .requestHandler(web)
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        PoolGatewayFixture.await("gateway synced", () -> gateway.ready() && gateway.gatewaySessions() == 1);
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /** Item 6: a chunked body declares no length; past 32 MiB it is refused while streaming. */
    @Test
    void aChunkedBodyOverTheLimitIsAnswered413() throws Exception {
        long before = bodyBytes.get();
        io.vertx.core.http.HttpClient up = vertx.createHttpClient(new HttpClientOptions());
        try {
            HttpClientRequest req = up.request(new RequestOptions()
                            .setMethod(HttpMethod.POST)
                            .setHost("127.0.0.1")
                            .setPort(front.actualPort())
                            .setURI("/v1/messages")
                            .addHeader("x-api-key", placeholder())
                            .addHeader("content-type", "application/json"))
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            req.setChunked(true);
            CompletableFuture<HttpClientResponse> answer = new CompletableFuture<>();
            // the body read is set up on the event loop as the answer arrives, or its bytes pass unread
            CompletableFuture<Buffer> body = req.response()
                    .compose(r -> {
                        answer.complete(r);
                        return r.body();
                    })
                    .toCompletionStage()
                    .toCompletableFuture();
            Buffer mib = Buffer.buffer(new byte[1024 * 1024]);
            int[] sent = {0};
            Runnable[] next = new Runnable[1];
            next[0] = () -> {
                // 40 MiB at most, with backpressure; stop as soon as an answer came
                while (!answer.isDone() && sent[0] < 40 && !req.writeQueueFull()) {
                    req.write(mib);
                    sent[0]++;
                }
                if (!answer.isDone() && sent[0] < 40) {
                    req.drainHandler(v -> next[0].run());
                } else if (!answer.isDone()) {
                    req.end();
                }
            };
            vertx.runOnContext(v -> next[0].run());
            HttpClientResponse resp = answer.get(60, TimeUnit.SECONDS);
            assertThat(resp.statusCode()).isEqualTo(413);
            JsonObject error = body.get(30, TimeUnit.SECONDS).toJsonObject();
            assertThat(error.getString("type")).isEqualTo("error");
            assertThat(error.getJsonObject("error").getString("type")).isEqualTo("request_too_large");
            assertThat(bodyBytes.get() - before)
                    .as("body bytes that reached the provider")
                    .isLessThanOrEqualTo(GatewayProxy.MAX_BODY);
        } finally {
            up.close();
        }
    }

    /**
     * Item 17: a client declares 1024 bytes, sends 100, gets the provider's early answer and goes away. The next
     * request must not land on a provider connection that still expects 924 bytes.
     */
    @Test
    void anAbandonedBodyNeverSpoilsThePooledConnection() throws Exception {
        assertThat(send("/v1/messages", "{\"warm\":1}").statusCode()).isEqualTo(200); // a pooled connection exists
        try (Socket s = new Socket("127.0.0.1", front.actualPort())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/early HTTP/1.1\r\nhost: gw\r\nx-api-key: " + placeholder()
                            + "\r\ncontent-type: application/json\r\ncontent-length: 1024\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[100]);
            out.flush();
            assertThat(readStatusLine(s.getInputStream())).startsWith("HTTP/1.1 400");
        } // the client goes away with 924 bytes unsent
        int bad = badRequests.get();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> next = send("/v1/messages", "{\"pad\":\"" + "x".repeat(2000) + "\"}");
            assertThat(next.statusCode())
                    .as("request %d after the abandoned body", i)
                    .isEqualTo(200);
        }
        assertThat(badRequests.get() - bad)
                .as("requests the provider could not parse")
                .isZero();
    }

    /** Item 18: a client that hangs up while the provider thinks is not a provider failure. */
    @Test
    void aClientDisconnectIsNotCountedAsAProviderFailure() throws Exception {
        int slow = slowRequests.get();
        double failedBefore = count("collab.gateway.upstream.errors", "kind", "failed");
        try (Socket s = new Socket("127.0.0.1", front.actualPort())) {
            s.getOutputStream()
                    .write(("POST /v1/slow HTTP/1.1\r\nhost: gw\r\nx-api-key: " + placeholder()
                                    + "\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
                            .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            Awaitility.await("the provider has the request")
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> slowRequests.get() > slow);
        } // the client hangs up before the provider answered
        Awaitility.await("the disconnect counted, as whatever kind")
                .atMost(Duration.ofSeconds(10))
                .until(() -> count("collab.gateway.client.disconnects", null, null) >= 1
                        || count("collab.gateway.upstream.errors", "kind", "failed") > failedBefore);
        assertThat(count("collab.gateway.upstream.errors", "kind", "failed") - failedBefore)
                .as("provider failures counted for a client's disconnect")
                .isZero();
        assertThat(count("collab.gateway.client.disconnects", null, null)).isEqualTo(1);
    }

    private static double count(String name, String tag, String value) {
        Counter c = tag == null
                ? registry.find(name).counter()
                : registry.find(name).tag(tag, value).counter();
        return c == null ? 0 : c.count();
    }

    private static String readStatusLine(InputStream in) throws Exception {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != -1 && c != '\n'; c = in.read()) {
            line.append((char) c);
        }
        return line.toString().trim();
    }

    private static HttpResponse<String> send(String path, String body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.actualPort() + path))
                        .timeout(Duration.ofSeconds(20))
                        .header("content-type", "application/json")
                        .header("x-api-key", placeholder())
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String placeholder() {
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace(NS)
                .withName("alice")
                .get();
        return Placeholders.access(
                PoolGatewayFixture.KEY, NS, "alice", cs.getMetadata().getUid());
    }
}

package dev.collab.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CredentialsMode;
import dev.collab.api.DailyBudget;
import dev.collab.api.EgressSpec;
import dev.collab.api.EventReasons;
import dev.collab.api.Placeholders;
import dev.collab.api.SessionEgress;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The egress proxy of a real CredentialGateway against the Fabric8 mock API server (the test writes the sessions'
 * status, playing the operator) and two loopback servers standing in for the internet: an echo server (tunnels)
 * and an HTTP server (plain proxy requests). Loopback is never public, so only sessions whose allowlist names the
 * range 127.0.0.0/8 reach them: exactly the rule that keeps a real session off the API server's address.
 * Sessions: alice (name and range allowed), bob (name only), dave (pod elsewhere), erin (byte budget 64).
 */
@EnableKubernetesMockClient(crud = true)
class EgressProxyTest {
    static KubernetesMockServer server;
    static KubernetesClient client;

    private static final String NS = PoolGatewayFixture.NS;
    private static Vertx vertx;
    private static NetServer echo;
    private static HttpServer web;
    private static CredentialGateway gateway;
    private static final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private static final List<MultiMap> webSeen = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        echo = vertx.createNetServer()
                .connectHandler(s -> s.handler(s::write))
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        web = vertx.createHttpServer()
                .requestHandler(req -> req.body().onSuccess(body -> {
                    webSeen.add(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
                    req.response().putHeader("x-origin", "web").end("origin saw " + req.uri() + " " + body);
                }))
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        PoolGatewayFixture.prepareCluster(server, client);
        credentials();
        int e = echo.actualPort();
        session("alice", "http://127.0.0.1:4096", List.of("LocalHost.:" + e, "127.0.0.0/8:" + e), null);
        session("bob", "http://127.0.0.1:4096", List.of("localhost:" + e), null);
        session("dave", "http://10.1.2.3:4096", List.of("localhost:" + e, "127.0.0.0/8:*"), null);
        session("erin", "http://127.0.0.1:4096", List.of("127.0.0.0/8:" + e), new DailyBudget(null, null));
        GatewaySettings settings = new GatewaySettings(
                        List.of(NS),
                        PoolGatewayFixture.KEY_NS,
                        "collab-gateway-key",
                        URI.create("http://127.0.0.1:9"),
                        true,
                        CredentialsMode.Seeded,
                        Duration.ofMillis(200),
                        Duration.ofSeconds(2))
                // the gateway's default list: the plain HTTP server, for every session
                .withEgress(GatewaySettings.Egress.defaults().withAllow(List.of("127.0.0.1/32:" + web.actualPort())));
        gateway = new CredentialGateway(vertx, client, settings, registry, Clock.systemUTC()).start();
        RunningSessions.await("the gateway sees the sessions", () -> gateway.ready() && gateway.gatewaySessions() == 4);
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

    @Test
    void anAllowedHostIsTunnelledByteForByteAndCountedInStatusAndMetrics() throws Exception {
        try (Socket s = connect("alice", "localhost:" + echo.actualPort())) {
            assertThat(readHead(s.getInputStream())).startsWith("HTTP/1.1 200");
            byte[] payload = "hello through the tunnel".getBytes(StandardCharsets.UTF_8);
            s.getOutputStream().write(payload);
            assertThat(s.getInputStream().readNBytes(payload.length)).isEqualTo(payload);
        }
        RunningSessions.await("the tunnel closed", () -> gateway.openEgress() == 0);
        // the ledger's own timer may be writing the same counts right now (it took them from the pending map): wait
        // for the write, whoever makes it
        RunningSessions.await("the tunnel counted in status", () -> {
            gateway.flushUsage();
            return egress("alice").getConnections() == 1;
        });
        SessionEgress egress = egress("alice");
        assertThat(egress.getConnections()).isEqualTo(1);
        assertThat(egress.getBytesUp()).isEqualTo(24);
        assertThat(egress.getBytesDown()).isEqualTo(24);
        assertThat(registry.get("collab.gateway.egress.bytes")
                        .tag("owner", CollabLabels.ownerLabelValue("alice@example.com"))
                        .tag("host", "LocalHost.:" + echo.actualPort())
                        .tag("direction", "down")
                        .counter()
                        .count())
                .isEqualTo(24.0);
    }

    @Test
    void anAllowedNameThatResolvesToLoopbackIsRefusedWithoutItsRange() throws Exception {
        JsonObject error = refusal(connect("bob", "localhost:" + echo.actualPort()), 403);
        assertThat(error.getString("type")).isEqualTo("egress_denied");
        assertThat(error.getString("message")).contains("resolves only to private");
        RunningSessions.await(
                "an EgressDenied Event on bob",
                () -> client.v1().events().inNamespace(NS).list().getItems().stream()
                        .anyMatch(ev -> EventReasons.EGRESS_DENIED.equals(ev.getReason())
                                && "bob".equals(ev.getInvolvedObject().getName())));
        gateway.flushUsage();
        assertThat(egress("bob").getRefused()).isEqualTo(1);
    }

    @Test
    void aHostNotOnTheListIsRefusedWithTheHostAndHowToAllowIt() throws Exception {
        JsonObject error = refusal(connect("alice", "registry.npmjs.org:443"), 403);
        assertThat(error.getString("host")).isEqualTo("registry.npmjs.org");
        assertThat(error.getInteger("port")).isEqualTo(443);
        assertThat(error.getString("allow")).contains("\"registry.npmjs.org\"").contains("spec.egress.allow");
        // the same port on another loopback name is not the allowed entry either
        assertThat(refusal(connect("alice", "127.0.0.1:1"), 403).getString("type"))
                .isEqualTo("egress_denied");
    }

    @Test
    void noPlaceholderAnUnknownOneOrAnotherPodAreRefused() throws Exception {
        try (Socket s = new Socket("127.0.0.1", gateway.egressPort())) {
            s.getOutputStream().write(("CONNECT localhost:" + echo.actualPort() + " HTTP/1.1\r\n\r\n").getBytes());
            String head = readHead(s.getInputStream());
            assertThat(head).startsWith("HTTP/1.1 407").containsIgnoringCase("proxy-authenticate: Basic");
        }
        refusal(connectAs("collab:collab-gw-forged", "localhost:" + echo.actualPort()), 407);
        JsonObject other = refusal(connect("dave", "localhost:" + echo.actualPort()), 403);
        assertThat(other.getString("message")).contains("other than its (Ready) pod");
    }

    @Test
    void aPlainHttpRequestIsRelayedWithoutTheProxyCredentialOrHopByHopHeaders() throws Exception {
        int port = web.actualPort();
        try (Socket s = new Socket("127.0.0.1", gateway.egressPort())) {
            s.getOutputStream()
                    .write(("POST http://127.0.0.1:" + port + "/path?q=1 HTTP/1.1\r\nHost: 127.0.0.1:" + port
                                    + "\r\nProxy-Authorization: " + basic("collab:" + placeholder("alice"))
                                    + "\r\nProxy-Connection: keep-alive\r\nX-Keep: yes\r\nContent-Length: 4\r\n"
                                    + "Connection: close\r\n\r\nbody")
                            .getBytes(StandardCharsets.UTF_8));
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 200").contains("origin saw /path?q=1 body");
        }
        MultiMap seen = webSeen.get(webSeen.size() - 1);
        assertThat(seen.get("x-keep")).isEqualTo("yes");
        assertThat(seen.get("host")).isEqualTo("127.0.0.1:" + port);
        assertThat(seen.contains("proxy-authorization")).isFalse();
        assertThat(seen.contains("proxy-connection")).isFalse();
    }

    @Test
    void theOwnersDailyByteBudgetRefusesTheNextConnectionOnceUsedUp() throws Exception {
        try (Socket s = connect("erin", "127.0.0.1:" + echo.actualPort())) {
            assertThat(readHead(s.getInputStream())).startsWith("HTTP/1.1 200");
            s.getOutputStream().write(new byte[100]);
            s.getInputStream().readNBytes(100);
        }
        RunningSessions.await("the tunnel closed", () -> gateway.openEgress() == 0);
        JsonObject error = refusal(connect("erin", "127.0.0.1:" + echo.actualPort()), 429);
        assertThat(error.getString("message")).contains("daily egress budget of 64 bytes");
    }

    // --- helpers

    private static Socket connect(String session, String authority) throws IOException {
        return connectAs("collab:" + placeholder(session), authority);
    }

    private static Socket connectAs(String userInfo, String authority) throws IOException {
        Socket s = new Socket("127.0.0.1", gateway.egressPort());
        s.setSoTimeout(30_000);
        OutputStream out = s.getOutputStream();
        out.write(("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\nProxy-Authorization: "
                        + basic(userInfo) + "\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        out.flush();
        return s;
    }

    /** The refusal's JSON error object, after checking the status line. */
    private static JsonObject refusal(Socket s, int status) throws IOException {
        try (s) {
            String head = readHead(s.getInputStream());
            assertThat(head).startsWith("HTTP/1.1 " + status);
            int length = Integer.parseInt(head.replaceAll("(?s).*(?i:content-length): *(\\d+).*", "$1"));
            String body = new String(s.getInputStream().readNBytes(length), StandardCharsets.UTF_8);
            assertThat(body).doesNotContain("collab-gw-");
            return new JsonObject(body).getJsonObject("error");
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static String basic(String userInfo) {
        return "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    }

    private static String placeholder(String name) {
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace(NS)
                .withName(name)
                .get();
        return Placeholders.access(
                PoolGatewayFixture.KEY, NS, name, cs.getMetadata().getUid());
    }

    private static SessionEgress egress(String name) {
        SessionEgress e = client.resources(CollabSession.class)
                .inNamespace(NS)
                .withName(name)
                .get()
                .getStatus()
                .getEgress();
        return e == null ? new SessionEgress() : e;
    }

    private static void credentials() {
        for (String owner : List.of("alice", "bob", "dave", "erin")) {
            client.secrets()
                    .inNamespace(NS)
                    .resource(new SecretBuilder()
                            .withNewMetadata()
                            .withName(owner + "-creds")
                            .withNamespace(NS)
                            .withLabels(CollabLabels.credentialSecretLabels(owner + "@example.com"))
                            .endMetadata()
                            .addToData(
                                    "auth.json",
                                    Base64.getEncoder()
                                            .encodeToString(("{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-ant-"
                                                            + owner + "\"}}")
                                                    .getBytes(StandardCharsets.UTF_8)))
                            .build())
                    .create();
        }
    }

    private static void session(String name, String endpoint, List<String> allow, DailyBudget budget) {
        CollabSessionSpec spec = new CollabSessionSpec(name + "@example.com", name + "-creds");
        spec.getCredentials().setMode(CredentialsMode.Gateway);
        spec.setEgress(new EgressSpec(allow));
        if (budget != null) {
            budget.setEgressBytes(64L);
            spec.getCredentials().setBudget(budget);
        }
        RunningSessions.create(client, NS, name, spec, endpoint);
    }
}

package dev.collab.operator;

import static dev.collab.operator.OperatorOnControlPlane.NS;
import static dev.collab.operator.OperatorOnControlPlane.SYSTEM_NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.collab.api.AccountStatus;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CredentialsMode;
import dev.collab.api.Placeholders;
import dev.collab.api.SessionPhase;
import dev.collab.gateway.CredentialGateway;
import dev.collab.gateway.GatewaySettings;
import dev.collab.testing.AuditLog;
import dev.collab.testing.ControlPlane;
import dev.collab.testing.ControlPlaneExtension;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 30, item 9 on the real API server: ten Gateway-mode sessions of one owner share one credential Secret (an
 * account pool) under steady traffic. The operator runs as collab-operator and the credential gateway as
 * collab-gateway (deploy/'s RBAC), both in this JVM; pods are started by the FAKE kubelet, the provider is a FAKE
 * Anthropic on loopback answering every request with usage. Counted from the audit log: the status writes each session
 * gets must stay within the documented bound of one per usage-flush interval (60 an hour with the default 60 s), and
 * the shared Secret's pool state at most one write per interval.
 */
@ExtendWith(ControlPlaneExtension.class)
class GatewayStatusWritesControlPlaneIT {
    static final int SESSIONS = 10;
    static final Duration FLUSH = Duration.ofSeconds(1);
    static final Duration TRAFFIC = Duration.ofSeconds(12);
    static final String GATEWAY_USER = AuditLog.serviceAccount(SYSTEM_NS, "collab-gateway");

    static OperatorOnControlPlane env;
    static Vertx vertx;
    static HttpServer anthropic;
    static CredentialGateway gateway;
    static io.vertx.core.http.HttpServer front;

    @BeforeAll
    static void start(ControlPlane plane) throws Exception {
        env = new OperatorOnControlPlane(plane, OperatorSettings.defaults());
        anthropic = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        anthropic.createContext("/v1/messages", exchange -> {
            exchange.getRequestBody().readAllBytes();
            byte[] body =
                    "{\"type\":\"message\",\"model\":\"claude-x\",\"usage\":{\"input_tokens\":10,\"output_tokens\":5}}"
                            .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("content-type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        anthropic.start();
        vertx = Vertx.vertx();
        GatewaySettings settings = new GatewaySettings(
                List.of(NS),
                SYSTEM_NS,
                "collab-gateway-key",
                URI.create("http://127.0.0.1:" + anthropic.getAddress().getPort()),
                false, // the FAKE kubelet's pod IPs are not this test's address
                CredentialsMode.Seeded,
                FLUSH,
                Duration.ofSeconds(10));
        gateway = new CredentialGateway(
                        vertx,
                        plane.clientAs(SYSTEM_NS, "collab-gateway"),
                        settings,
                        new SimpleMeterRegistry(),
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
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        if (anthropic != null) {
            anthropic.stop(0);
        }
        if (env != null) {
            env.close();
        }
    }

    @Test
    void tenSessionsSharingAPoolStayWithinOneStatusWritePerSessionPerFlushInterval(ControlPlane plane)
            throws Exception {
        env.admin
                .secrets()
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("team-pool")
                        .withNamespace(NS)
                        .withLabels(CollabLabels.credentialSecretLabels("paula"))
                        .endMetadata()
                        .withStringData(Map.of(
                                "accounts.json",
                                "{\"accounts\":[{\"name\":\"work\",\"type\":\"api\",\"key\":\"sk-ant-work\"},"
                                        + "{\"name\":\"spare\",\"type\":\"api\",\"key\":\"sk-ant-spare\"}]}"))
                        .build())
                .create();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < SESSIONS; i++) {
            CollabSessionSpec spec = new CollabSessionSpec("paula", "team-pool");
            spec.getCredentials().setMode(CredentialsMode.Gateway);
            spec.setIdleTimeout("0");
            env.create("pool-" + i, spec);
            names.add("pool-" + i);
        }
        for (String name : names) {
            env.awaitSession(
                    name,
                    s -> s.getStatus() != null
                            && s.getStatus().getPhase() == SessionPhase.Running
                            && s.getStatus().getAccounts() != null);
        }
        byte[] key = Placeholders.keyFrom(env.admin
                .secrets()
                .inNamespace(SYSTEM_NS)
                .withName("collab-gateway-key")
                .get());
        List<String> placeholders = names.stream()
                .map(n -> Placeholders.access(
                        key, NS, n, env.session(n).getMetadata().getUid()))
                .toList();
        await().atMost(Duration.ofSeconds(60)).until(() -> gateway.ready() && gateway.gatewaySessions() == SESSIONS);

        HttpClient http = HttpClient.newHttpClient();
        long mark = plane.auditLog().mark();
        long started = System.nanoTime();
        int sent = 0;
        while (System.nanoTime() - started < TRAFFIC.toNanos()) {
            for (String placeholder : placeholders) {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + front.actualPort() + "/v1/messages"))
                                .header("x-api-key", placeholder)
                                .header("content-type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-x\",\"messages\":[]}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                sent++;
            }
            Thread.sleep(50);
        }
        double intervals = (System.nanoTime() - started) / (double) FLUSH.toNanos();
        Thread.sleep(FLUSH.toMillis() * 3); // the last flush and what the operator makes of it
        List<AuditLog.Event> writes = plane.auditLog().writes(mark, e -> true);

        Map<String, Long> statusWrites = new java.util.TreeMap<>();
        for (String name : names) {
            statusWrites.put(
                    name,
                    writes.stream()
                            .filter(e -> e.resource().equals("collabsessions")
                                    && name.equals(e.name())
                                    && e.code() / 100 == 2)
                            .count());
        }
        long byOperator = writes.stream()
                .filter(e -> e.by(OperatorOnControlPlane.OPERATOR_USER)
                        && e.resource().equals("collabsessions")
                        && e.code() / 100 == 2)
                .count();
        long secretWrites = writes.stream()
                .filter(e -> e.resource().equals("secrets") && "team-pool".equals(e.name()) && e.code() / 100 == 2)
                .count();
        System.out.printf(
                "gateway status writes: %d requests over %.1f flush intervals; session status writes %s (operator %d);"
                        + " pool Secret writes %d%n",
                sent, intervals, statusWrites, byOperator, secretWrites);

        long bound = (long) Math.ceil(intervals) + 1; // one per interval, and the last flush after the traffic
        assertThat(statusWrites.values())
                .as("status writes per session: at most one per flush interval (%s)", statusWrites)
                .allSatisfy(n -> assertThat(n).isBetween(1L, bound));
        assertThat(secretWrites)
                .as("the shared pool state: at most one write per interval")
                .isLessThanOrEqualTo(bound);
        CollabSession one = env.session("pool-0");
        assertThat(one.getStatus().getUsage().getRequests()).isPositive();
        assertThat(one.getStatus().getAccounts())
                .extracting(AccountStatus::getName, AccountStatus::getState)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("work", AccountStatus.ACTIVE),
                        org.assertj.core.groups.Tuple.tuple("spare", AccountStatus.ACTIVE));
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(env.session("pool-0")
                                .getStatus()
                                .getAccounts()
                                .get(0)
                                .getRequests())
                        .as("the pool's request count reaches status.accounts")
                        .isPositive());
    }
}

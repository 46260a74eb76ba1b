package dev.collab.router;

import static dev.collab.router.RouterTestSupport.await;
import static dev.collab.router.RouterTestSupport.createSession;
import static dev.collab.router.RouterTestSupport.setStatus;
import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.SessionPhase;
import dev.collab.router.RouterTestSupport.RunningRouter;
import dev.collab.testing.MutableClock;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A session's worker replaced under the router (docs/DESIGN.md sections 4 and 5): requests for a withdrawn endpoint
 * are held until the new worker's is published, and a request the old worker never answered goes once to the new one
 * when that is safe. Fakes, all on 127.0.0.1: {@link VanishingWorker} (reads a request, then closes the connection
 * without a byte: a worker killed mid-request), a port nobody listens on (a worker already gone), and
 * {@link FakeOpencode} as the new worker. There is no operator: the tests write the status it would.
 */
@EnableKubernetesMockClient(crud = true)
class WorkerReplacementTest {
    static KubernetesMockServer server;
    static KubernetesClient client;

    static Vertx vertx;
    static RunningRouter router;
    static FakeOpencode newWorker;
    static final String NS = "team-r";
    static final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(30))
            .build();

    private VanishingWorker oldWorker;
    private String session;
    private String token;
    private static final AtomicInteger sessions = new AtomicInteger();

    @BeforeAll
    static void setUp() throws Exception {
        RouterTestSupport.registerCrd(server);
        RouterTestSupport.createAdminSecret(client);
        vertx = Vertx.vertx();
        newWorker = new FakeOpencode("new-worker", "password-r").start(vertx);
        router = new RunningRouter(
                vertx,
                client,
                RouterTestSupport.settings(1 << 20, Duration.ofSeconds(30), Duration.ofSeconds(30)),
                new MutableClock(Instant.parse("2026-11-23T12:00:00Z")));
        await("informers synced", () -> router.router.ready());
    }

    @AfterAll
    static void tearDown() throws Exception {
        router.close();
        newWorker.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void stopOldWorker() throws IOException {
        if (oldWorker != null) {
            oldWorker.close();
        }
    }

    /** A fresh session whose published endpoint is {@code endpoint}. */
    private void runningAt(String endpoint) {
        session = "r" + sessions.incrementAndGet();
        token = createSession(client, NS, session, "30m", newWorker.password);
        setStatus(client, NS, session, SessionPhase.Running, null, endpoint);
        await(
                "endpoint known",
                () -> router.router.directory().find(session).stream()
                        .anyMatch(cs -> endpoint.equals(WakeWait.endpoint(cs))));
    }

    /** Plays the operator replacing the pod: endpoint withdrawn, then the new worker's published. */
    private void replaceWorker() {
        setStatus(client, NS, session, SessionPhase.Starting, null, null);
        setStatus(client, NS, session, SessionPhase.Running, null, newWorker.endpoint());
    }

    private CompletableFuture<HttpResponse<String>> send(String method, String path, String body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(router.base() + "/s/" + session + path))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aGetTheOldWorkerDroppedIsAnsweredByTheNewWorker() throws Exception {
        oldWorker = new VanishingWorker();
        runningAt(oldWorker.endpoint());
        double retriesBefore = router.router.metrics().upstreamRetries();
        CompletableFuture<HttpResponse<String>> pending = send("GET", "/session", null);
        await("the old worker read the request", () -> oldWorker.requests.get() == 1);
        Thread.sleep(300);
        assertThat(pending).as("held, not answered 502").isNotDone();
        replaceWorker();
        HttpResponse<String> answer = pending.get(60, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(new JsonObject(answer.body()).getString("backend")).isEqualTo("new-worker");
        assertThat(oldWorker.requests.get())
                .as("sent once more, not again to the old one")
                .isEqualTo(1);
        assertThat(router.router.metrics().upstreamRetries()).isEqualTo(retriesBefore + 1);
    }

    @Test
    void aPutBodyIsSentWholeToTheNewWorker() throws Exception {
        oldWorker = new VanishingWorker();
        runningAt(oldWorker.endpoint());
        String body = "{\"size\":{\"cols\":80,\"rows\":24},\"pad\":\"" + "x".repeat(20_000) + "\"}";
        CompletableFuture<HttpResponse<String>> pending = send("PUT", "/pty/pty_1", body);
        await("the old worker read the request", () -> oldWorker.requests.get() == 1);
        replaceWorker();
        HttpResponse<String> answer = pending.get(60, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonObject echoed = new JsonObject(answer.body());
        assertThat(echoed.getString("method")).isEqualTo("PUT");
        assertThat(echoed.getInteger("bodyLength")).isEqualTo(body.length());
    }

    @Test
    void aPromptTheOldWorkerMayHaveReadIsNotSentTwice() throws Exception {
        oldWorker = new VanishingWorker();
        runningAt(oldWorker.endpoint());
        int before = newWorker.received.get();
        HttpResponse<String> answer =
                send("POST", "/session/ses_1/message", "{\"parts\":[]}").get(60, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(502);
        assertThat(newWorker.received.get()).isEqualTo(before);
    }

    @Test
    void aPromptThatReachedNoWorkerWaitsForTheNewOne() throws Exception {
        runningAt("http://127.0.0.1:" + closedPort());
        String prompt = "{\"parts\":[{\"type\":\"text\",\"text\":\"hello\"}]}";
        CompletableFuture<HttpResponse<String>> pending = send("POST", "/session/ses_1/message", prompt);
        Thread.sleep(300);
        assertThat(pending).as("refused connection: held").isNotDone();
        replaceWorker();
        HttpResponse<String> answer = pending.get(60, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonObject echoed = new JsonObject(answer.body());
        assertThat(echoed.getString("backend")).isEqualTo("new-worker");
        assertThat(echoed.getInteger("bodyLength")).isEqualTo(prompt.length());
    }

    @Test
    void aWithdrawnEndpointHoldsNewRequestsUntilTheNewWorkerIsPublished() throws Exception {
        oldWorker = new VanishingWorker();
        runningAt(oldWorker.endpoint());
        setStatus(client, NS, session, SessionPhase.Starting, null, null); // the operator's drain began
        await(
                "withdrawal seen",
                () -> router.router.directory().find(session).stream().allMatch(cs -> WakeWait.endpoint(cs) == null));
        CompletableFuture<HttpResponse<String>> pending = send("POST", "/session/ses_1/message", "{\"parts\":[]}");
        Thread.sleep(300);
        assertThat(pending).isNotDone();
        setStatus(client, NS, session, SessionPhase.Running, null, newWorker.endpoint());
        HttpResponse<String> answer = pending.get(60, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(oldWorker.requests.get())
                .as("nothing sent to the pod going away")
                .isZero();
    }

    @Test
    void aWorkerFailingInPlaceAnswers502AfterTheMoveWait() throws Exception {
        oldWorker = new VanishingWorker();
        runningAt(oldWorker.endpoint());
        long started = System.nanoTime();
        HttpResponse<String> answer = send("GET", "/session", null).get(60, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(502);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(UpstreamRetry.MOVE_WAIT);
        assertThat(oldWorker.requests.get()).isEqualTo(1);
    }

    @Test
    void onlyRequestsNoWorkerCanHaveActedOnAreRetried() {
        Throwable closed = new IOException("Connection was closed");
        assertThat(UpstreamRetry.safe(HttpMethod.POST, false, false, closed))
                .as("never delivered")
                .isTrue();
        assertThat(UpstreamRetry.safe(HttpMethod.POST, true, true, closed)).isFalse();
        assertThat(UpstreamRetry.safe(HttpMethod.PATCH, true, true, closed)).isFalse();
        for (HttpMethod m :
                new HttpMethod[] {HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.PUT, HttpMethod.DELETE
                }) {
            assertThat(UpstreamRetry.safe(m, true, true, closed)).as(m.name()).isTrue();
            assertThat(UpstreamRetry.safe(m, true, false, closed))
                    .as(m.name() + " with a body not kept whole")
                    .isFalse();
        }
        assertThat(UpstreamRetry.safe(HttpMethod.GET, true, true, new java.util.concurrent.TimeoutException()))
                .as("a slow worker is not a gone one")
                .isFalse();
    }

    @Test
    void aBodyIsKeptOnlyWholeAndWithinTheLimit() {
        ReplayableBody body = new ReplayableBody();
        body.add(io.vertx.core.buffer.Buffer.buffer("abc"));
        assertThat(body.whole()).as("not ended yet").isNull();
        body.end();
        assertThat(body.whole().toString()).isEqualTo("abc");

        ReplayableBody large = new ReplayableBody();
        large.add(io.vertx.core.buffer.Buffer.buffer(new byte[ReplayableBody.LIMIT]));
        large.add(io.vertx.core.buffer.Buffer.buffer("x"));
        large.end();
        assertThat(large.whole()).isNull();
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A worker killed mid-request: accepts, reads the request head, closes the connection without answering. */
    static final class VanishingWorker implements AutoCloseable {
        final AtomicInteger requests = new AtomicInteger();
        private final ServerSocket socket;
        private final Thread acceptor;

        VanishingWorker() throws IOException {
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            acceptor = new Thread(this::serve, "vanishing-worker");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        String endpoint() {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }

        private void serve() {
            while (!socket.isClosed()) {
                try (Socket s = socket.accept()) {
                    if (readHead(s.getInputStream())) {
                        requests.incrementAndGet();
                    }
                } catch (IOException e) {
                    // closed: the test is over
                }
            }
        }

        private static boolean readHead(InputStream in) throws IOException {
            int matched = 0;
            byte[] end = {'\r', '\n', '\r', '\n'};
            int b;
            while ((b = in.read()) >= 0) {
                matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
                if (matched == 4) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public void close() throws IOException {
            socket.close();
            try {
                acceptor.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}

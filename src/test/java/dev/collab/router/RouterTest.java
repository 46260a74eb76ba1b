package dev.collab.router;

import static dev.collab.router.RouterTestSupport.ADMIN_TOKEN;
import static dev.collab.router.RouterTestSupport.annotation;
import static dev.collab.router.RouterTestSupport.await;
import static dev.collab.router.RouterTestSupport.createSession;
import static dev.collab.router.RouterTestSupport.setStatus;
import static dev.collab.router.RouterTestSupport.unb64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.SessionPhase;
import dev.collab.api.StoppedReason;
import dev.collab.router.RouterTestSupport.RunningRouter;
import dev.collab.testing.MutableClock;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The router against the Fabric8 mock API server (CRUD mode) and fake opencode backends, all on 127.0.0.1.
 * There is no operator here: the tests write each CollabSession status themselves to play its part.
 */
@EnableKubernetesMockClient(crud = true)
class RouterTest {
    static KubernetesMockServer server;
    static KubernetesClient client;

    static final long MAX_BODY = 64L << 20;
    static final Instant T0 = Instant.parse("2026-11-23T12:00:00Z");

    static Vertx vertx;
    static MutableClock clock;
    static RunningRouter router;
    /** Short wake-wait, upstream timeout and body cap, for 503, 504 and 413. */
    static RunningRouter shortRouter;

    static FakeOpencode backendA;
    static FakeOpencode backendB;
    static String tokenA;
    static String tokenB;
    static final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(30))
            .build();

    @BeforeAll
    static void setUp() throws Exception {
        RouterTestSupport.registerCrd(server);
        RouterTestSupport.createAdminSecret(client);
        vertx = Vertx.vertx();
        backendA = new FakeOpencode("backend-a", "password-a").start(vertx);
        backendB = new FakeOpencode("backend-b", "password-b").start(vertx);
        tokenA = createSession(client, "team-a", "sa", "30m", backendA.password);
        tokenB = createSession(client, "team-b", "sb", "30m", backendB.password);
        setStatus(client, "team-a", "sa", SessionPhase.Running, null, backendA.endpoint());
        setStatus(client, "team-b", "sb", SessionPhase.Running, null, backendB.endpoint());
        clock = new MutableClock(T0);
        router = new RunningRouter(
                vertx,
                client,
                RouterTestSupport.settings(MAX_BODY, Duration.ofSeconds(30), Duration.ofSeconds(30)),
                clock);
        shortRouter = new RunningRouter(
                vertx, client, RouterTestSupport.settings(1024, Duration.ofMillis(300), Duration.ofMillis(500)), clock);
        await("informers synced", () -> router.router.ready() && shortRouter.router.ready());
        await(
                "sessions known",
                () -> router.router.directory().find("sa").size() == 1
                        && router.router.directory().find("sb").size() == 1
                        && endpointKnown(router, "sa")
                        && endpointKnown(router, "sb")
                        && router.router.directory().adminToken().isPresent()
                        && endpointKnown(shortRouter, "sa"));
    }

    @AfterAll
    static void tearDown() throws Exception {
        router.close();
        shortRouter.close();
        backendA.close();
        backendB.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    static boolean endpointKnown(RunningRouter r, String name) {
        return r.router.directory().find(name).stream()
                .anyMatch(cs -> cs.getStatus() != null && cs.getStatus().getEndpoint() != null);
    }

    static HttpRequest.Builder get(RunningRouter r, String path, String token) {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(r.base() + path)).timeout(Duration.ofSeconds(60));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonObject json(HttpResponse<String> r) {
        return new JsonObject(r.body());
    }

    @Test
    void routesTwoSessionsToTheirBackendsWithTheServerPasswordOnly() throws Exception {
        HttpResponse<String> a = send(get(router, "/s/sa/session?x=1", tokenA)
                .header("Cookie", "other=1")
                .header("X-Forwarded-For", "10.0.0.1"));
        assertEquals(200, a.statusCode(), a.body());
        JsonObject body = json(a);
        assertEquals("backend-a", body.getString("backend"));
        assertEquals("/session?x=1", body.getString("uri"));
        JsonObject headers = body.getJsonObject("headers");
        assertEquals(backendA.expectedAuthorization(), headers.getString("authorization"));
        assertFalse(a.body().contains(tokenA), "the client token never reaches opencode");
        assertEquals("other=1", headers.getString("cookie"));
        assertEquals("10.0.0.1, 127.0.0.1", headers.getString("x-forwarded-for"));
        assertEquals("http", headers.getString("x-forwarded-proto"));
        assertEquals("/s/sa", headers.getString("x-forwarded-prefix"));
        assertEquals("127.0.0.1:" + router.server.actualPort(), headers.getString("x-forwarded-host"));
        assertFalse(a.headers().firstValue("X-Hop").isPresent(), "headers named in Connection are hop-by-hop");

        HttpResponse<String> b = send(get(router, "/s/sb/session", tokenB));
        assertEquals(200, b.statusCode());
        assertEquals("backend-b", json(b).getString("backend"));
        assertEquals(
                backendB.expectedAuthorization(),
                json(b).getJsonObject("headers").getString("authorization"));
    }

    @Test
    void answersAuthErrorsAsJson() throws Exception {
        HttpResponse<String> none = send(get(router, "/s/sa/session", null));
        assertEquals(401, none.statusCode());
        assertEquals("sa", json(none).getString("session"));
        assertNotNull(json(none).getString("error"));
        assertEquals(
                "application/json", none.headers().firstValue("Content-Type").orElse(""));

        HttpResponse<String> wrong = send(get(router, "/s/sa/session", "nope"));
        assertEquals(403, wrong.statusCode());
        HttpResponse<String> crossed = send(get(router, "/s/sb/session", tokenA));
        assertEquals(403, crossed.statusCode(), "a token of session A is refused on session B");
        HttpResponse<String> admin = send(get(router, "/s/sa/session", ADMIN_TOKEN));
        assertEquals(403, admin.statusCode(), "/s/ takes the session token only");
        HttpResponse<String> unknown = send(get(router, "/s/nosuch/session", tokenA));
        assertEquals(404, unknown.statusCode());
        assertEquals("nosuch", json(unknown).getString("session"));
    }

    @Test
    void oneTimeQueryTokenBecomesASessionCookie() throws Exception {
        HttpResponse<String> r = send(get(router, "/s/sa/app/index.html?token=" + tokenA + "&lang=en", null));
        assertEquals(302, r.statusCode());
        assertEquals(
                "/s/sa/app/index.html?lang=en",
                r.headers().firstValue("Location").orElseThrow());
        String cookie = r.headers().firstValue("Set-Cookie").orElseThrow();
        assertTrue(cookie.startsWith(Tokens.COOKIE + "=" + tokenA + ";"), cookie);
        assertTrue(
                cookie.contains("Path=/s/sa/")
                        && cookie.contains("HttpOnly")
                        && cookie.contains("Secure")
                        && cookie.contains("SameSite=None"),
                cookie);

        HttpResponse<String> next = send(get(router, "/s/sa/app/index.html?lang=en", null)
                .header("Cookie", "theme=dark; " + Tokens.COOKIE + "=" + tokenA));
        assertEquals(200, next.statusCode(), next.body());
        assertEquals("/app/index.html?lang=en", json(next).getString("uri"));
        assertEquals(
                "theme=dark",
                json(next).getJsonObject("headers").getString("cookie"),
                "the router's cookie is not forwarded");
        assertFalse(next.body().contains(tokenA));

        HttpResponse<String> wrongCookie =
                send(get(router, "/s/sb/x", null).header("Cookie", Tokens.COOKIE + "=" + tokenA));
        assertEquals(403, wrongCookie.statusCode());
    }

    @Test
    void credentialEndpointsOfOpencodeStayBehindTheRouter() throws Exception {
        for (String path : new String[] {
            "/auth/anthropic",
            "/auth",
            "/provider/anthropic/oauth/authorize",
            "/provider/anthropic/oauth/callback",
            "//auth/anthropic",
            "/x/../auth/anthropic",
            "/%61uth/anthropic"
        }) {
            HttpResponse<String> r =
                    send(get(router, "/s/sa" + path, tokenA).PUT(HttpRequest.BodyPublishers.ofString("{}")));
            assertEquals(403, r.statusCode(), path);
            HttpResponse<String> p =
                    send(get(router, "/s/sa" + path, tokenA).POST(HttpRequest.BodyPublishers.ofString("{}")));
            assertEquals(403, p.statusCode(), path);
        }
        HttpResponse<String> providers = send(get(router, "/s/sa/config/providers", tokenA));
        assertEquals(200, providers.statusCode());
        for (String secret :
                new String[] {"sk-ant-secret-1", "sk-ant-secret-2", "oauth-access-secret", "oauth-refresh-secret"}) {
            assertFalse(providers.body().contains(secret), secret);
        }
        JsonObject body = json(providers);
        assertEquals(
                SecretRedaction.REDACTED,
                body.getJsonArray("providers").getJsonObject(0).getString("key"));
        assertEquals(
                "https://x/v1",
                body.getJsonArray("providers")
                        .getJsonObject(0)
                        .getJsonObject("options")
                        .getString("baseURL"));
        assertEquals("claude", body.getJsonObject("default").getString("anthropic"));

        HttpResponse<String> config = send(get(router, "/s/sa/config", tokenA));
        assertEquals(200, config.statusCode());
        assertFalse(config.body().contains("sk-config-secret"));
        assertEquals(
                "https://x/v1",
                json(config)
                        .getJsonObject("provider")
                        .getJsonObject("anthropic")
                        .getJsonObject("options")
                        .getString("baseURL"));
    }

    @Test
    void serverSentEventsArriveOneByOne() throws Exception {
        int streamsBefore = router.router.metrics().openStreams();
        HttpResponse<InputStream> r =
                http.send(get(router, "/s/sa/event", tokenA).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        HttpServerResponse upstream = backendA.sseStreams.poll(60, TimeUnit.SECONDS);
        assertNotNull(upstream);
        await("open stream counted", () -> router.router.metrics().openStreams() == streamsBefore + 1);
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
                lines.add("<end>");
            } catch (Exception e) {
                lines.add("<error " + e + ">");
            }
        });
        reader.start();
        for (int i = 1; i <= 3; i++) {
            upstream.write("event: message\ndata: {\"n\":" + i + "}\n\n");
            // The event must come through while the upstream stream is still open.
            assertEquals("event: message", lines.poll(60, TimeUnit.SECONDS));
            assertEquals("data: {\"n\":" + i + "}", lines.poll(60, TimeUnit.SECONDS));
            assertEquals("", lines.poll(60, TimeUnit.SECONDS));
        }
        upstream.end();
        assertEquals("<end>", lines.poll(60, TimeUnit.SECONDS));
        await("stream closed", () -> router.router.metrics().openStreams() == streamsBefore);
    }

    @Test
    void webSocketEchoThroughTheRouter() throws Exception {
        BlockingQueue<String> received = new LinkedBlockingQueue<>();
        WebSocket ws = http.newWebSocketBuilder()
                .header("Authorization", "Bearer " + tokenA)
                .buildAsync(
                        URI.create("ws://127.0.0.1:" + router.server.actualPort() + "/s/sa/pty/p1/connect"),
                        new WebSocket.Listener() {
                            @Override
                            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                                received.add(data.toString());
                                webSocket.request(1);
                                return null;
                            }
                        })
                .get(60, TimeUnit.SECONDS);
        ws.sendText("hello", true).get(60, TimeUnit.SECONDS);
        assertEquals("hello", received.poll(60, TimeUnit.SECONDS));
        ws.sendText("second frame", true).get(60, TimeUnit.SECONDS);
        assertEquals("second frame", received.poll(60, TimeUnit.SECONDS));
        assertEquals(backendA.expectedAuthorization(), backendA.lastWebSocketAuthorization);
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(60, TimeUnit.SECONDS);
    }

    @Test
    void largeBodiesStreamBothWays() throws Exception {
        long size = 48L << 20;
        var digest = FakeOpencode.sha256();
        InputStream generated = new InputStream() {
            long pos;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos >= size) {
                    return -1;
                }
                int n = (int) Math.min(len, size - pos);
                byte[] chunk = FakeOpencode.pattern(pos, n);
                System.arraycopy(chunk, 0, b, off, n);
                digest.update(chunk);
                pos += n;
                return n;
            }
        };
        HttpResponse<String> up = send(get(router, "/s/sa/session/upload/message", tokenA)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> generated)));
        assertEquals(200, up.statusCode(), up.body());
        assertEquals(size, json(up).getLong("length"));
        assertEquals(HexFormat.of().formatHex(digest.digest()), json(up).getString("sha256"));

        long downSize = 96L << 20;
        HttpResponse<InputStream> down = http.send(
                get(router, "/s/sa/download?size=" + downSize, tokenA).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, down.statusCode());
        var expected = FakeOpencode.sha256();
        var actual = FakeOpencode.sha256();
        long total = 0;
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = down.body()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                actual.update(buf, 0, n);
                expected.update(FakeOpencode.pattern(total, n));
                total += n;
            }
        }
        assertEquals(downSize, total);
        assertEquals(HexFormat.of().formatHex(expected.digest()), HexFormat.of().formatHex(actual.digest()));
    }

    @Test
    void upstreamAndSizeErrors() throws Exception {
        // 413, announced length and streamed (chunked) body
        HttpResponse<String> big = send(get(shortRouter, "/s/sa/session/upload/message", tokenA)
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(4096))));
        assertEquals(413, big.statusCode());
        assertEquals("sa", json(big).getString("session"));
        byte[] chunk = new byte[4096];
        HttpResponse<String> bigChunked = send(get(shortRouter, "/s/sa/session/upload/message", tokenA)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(chunk))));
        assertEquals(413, bigChunked.statusCode());

        // 504: the backend never answers
        HttpResponse<String> slow = send(get(shortRouter, "/s/sa/slow", tokenA));
        assertEquals(504, slow.statusCode());

        // 502: nothing listens on the endpoint
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        String token = createSession(client, "team-a", "refused", "30m", "pw");
        setStatus(client, "team-a", "refused", SessionPhase.Running, null, "http://127.0.0.1:" + closedPort);
        await("refused session known", () -> endpointKnown(router, "refused"));
        HttpResponse<String> refused = send(get(router, "/s/refused/x", token));
        assertEquals(502, refused.statusCode());
        assertEquals("refused", json(refused).getString("session"));

        // 503 with Retry-After: starting, no endpoint within wake-wait
        String startingToken = createSession(client, "team-a", "starting", "30m", "pw");
        setStatus(client, "team-a", "starting", SessionPhase.Starting, null, null);
        await(
                "starting session known",
                () -> shortRouter.router.directory().find("starting").stream()
                                .anyMatch(cs ->
                                        cs.getStatus() != null && cs.getStatus().getPhase() == SessionPhase.Starting)
                        && shortRouter
                                .router
                                .directory()
                                .access(shortRouter
                                        .router
                                        .directory()
                                        .find("starting")
                                        .get(0))
                                .isPresent());
        HttpResponse<String> starting = send(get(shortRouter, "/s/starting/x", startingToken));
        assertEquals(503, starting.statusCode());
        assertTrue(starting.headers().firstValue("Retry-After").isPresent());

        // 409: suspended
        String suspendedToken = createSession(client, "team-a", "suspended", "30m", "pw");
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace("team-a")
                .withName("suspended")
                .get();
        cs.getSpec().setSuspend(true);
        client.resource(cs).update();
        setStatus(client, "team-a", "suspended", SessionPhase.Stopped, StoppedReason.Suspended, null);
        await(
                "suspended session known",
                () -> router.router.directory().find("suspended").stream().anyMatch(SessionDirectory::suspended));
        HttpResponse<String> suspended = send(get(router, "/s/suspended/x", suspendedToken));
        assertEquals(409, suspended.statusCode());
    }

    @Test
    void activityIsWrittenAndCoalesced() throws Exception {
        String token = createSession(client, "team-a", "busy", "30m", backendA.password);
        setStatus(client, "team-a", "busy", SessionPhase.Running, null, backendA.endpoint());
        await("busy session known", () -> endpointKnown(router, "busy"));
        assertEquals(
                Duration.ofSeconds(60),
                router.router.directory().find("busy").stream()
                        .findFirst()
                        .map(c -> new ActivityTracker(
                                        vertx, client, router.router.settings(), clock, router.router.metrics())
                                .interval(c))
                        .orElseThrow());
        double writesBefore = router.router.metrics().activityWrites();
        for (int i = 0; i < 5; i++) {
            assertEquals(200, send(get(router, "/s/busy/session", token)).statusCode());
        }
        String first = clock.instant().toString();
        await("annotation written", () -> first.equals(annotation(client, "team-a", "busy")));
        assertEquals(
                1.0,
                router.router.metrics().activityWrites() - writesBefore,
                "five requests in one interval: one write");

        clock.advance(Duration.ofSeconds(61));
        assertEquals(200, send(get(router, "/s/busy/session", token)).statusCode());
        String second = clock.instant().toString();
        await("second annotation written", () -> second.equals(annotation(client, "team-a", "busy")));
        assertEquals(2.0, router.router.metrics().activityWrites() - writesBefore);

        // The merge patch touched only the annotation: spec and status are as the test left them.
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace("team-a")
                .withName("busy")
                .get();
        assertEquals("30m", cs.getSpec().getIdleTimeout());
        assertEquals(SessionPhase.Running, cs.getStatus().getPhase());
        assertEquals(1, cs.getStatus().getConditions().size());
    }

    @Test
    void openStreamCountsAsActivityWhileBytesFlow() throws Exception {
        String token = createSession(client, "team-a", "streamer", "30m", backendA.password);
        setStatus(client, "team-a", "streamer", SessionPhase.Running, null, backendA.endpoint());
        await("streamer session known", () -> endpointKnown(router, "streamer"));
        backendA.sseStreams.clear();
        HttpResponse<InputStream> r =
                http.send(get(router, "/s/streamer/event", token).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        HttpServerResponse upstream = backendA.sseStreams.poll(60, TimeUnit.SECONDS);
        assertNotNull(upstream);
        String opened = clock.instant().toString();
        await("activity of the request", () -> opened.equals(annotation(client, "team-a", "streamer")));

        // An hour passes on an idle stream: no bytes, no activity.
        clock.advance(Duration.ofHours(1));
        assertEquals(opened, annotation(client, "team-a", "streamer"));
        // One event flows: the session is active again, without any new request.
        upstream.write("data: {\"type\":\"message.updated\"}\n\n");
        String flowed = clock.instant().toString();
        await("activity of the stream", () -> flowed.equals(annotation(client, "team-a", "streamer")));
        upstream.end();
        r.body().close();
    }

    @Test
    void requestWakesAnIdleStoppedSession() throws Exception {
        String token = createSession(client, "team-a", "sleepy", "10m", backendA.password);
        setStatus(client, "team-a", "sleepy", SessionPhase.Stopped, StoppedReason.IdleTimeout, null);
        await(
                "sleepy session known",
                () -> router.router.directory().find("sleepy").stream().anyMatch(SessionDirectory::wakes));
        assertNull(annotation(client, "team-a", "sleepy"));
        CompletableFuture<HttpResponse<String>> pending =
                http.sendAsync(get(router, "/s/sleepy/session", token).build(), HttpResponse.BodyHandlers.ofString());
        // Playing the operator: it sees the fresh activity annotation and starts the pod.
        await("activity annotation written on wake", () -> annotation(client, "team-a", "sleepy") != null);
        assertFalse(pending.isDone(), "the request waits for the endpoint");
        setStatus(client, "team-a", "sleepy", SessionPhase.Starting, null, null);
        setStatus(client, "team-a", "sleepy", SessionPhase.Running, null, backendA.endpoint());
        HttpResponse<String> r = pending.get(60, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("backend-a", json(r).getString("backend"));
        assertTrue(router.router.metrics().wakes(true) >= 1);
        // the wait is in the histogram too (collab_router_wake_seconds{outcome=ready})
        assertTrue(router.registry
                        .find("collab.router.wake")
                        .tag("outcome", "ready")
                        .timer()
                        .count()
                >= 1);
    }

    @Test
    void credentialUploadDoesNotTakeOverASecretOptedInForAnotherOwner() throws Exception {
        client.secrets()
                .inNamespace("team-a")
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("sa-creds")
                        .withLabels(CollabLabels.credentialSecretLabels("bob@example.com"))
                        .endMetadata()
                        .addToData("auth.json", RouterTestSupport.b64("{\"bob\":1}"))
                        .build())
                .createOr(r -> r.update());

        HttpResponse<String> refused = send(get(router, "/collab/session/sa/credentials/auth.json", ADMIN_TOKEN)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"alice\":1}")));
        assertEquals(409, refused.statusCode(), refused.body());
        assertTrue(json(refused).getString("error").contains("another owner"), refused.body());
        Secret after =
                client.secrets().inNamespace("team-a").withName("sa-creds").get();
        assertEquals("{\"bob\":1}", unb64(after.getData().get("auth.json")), "bob's credential untouched");
        assertEquals(
                CollabLabels.ownerLabelValue("bob@example.com"),
                after.getMetadata().getLabels().get(CollabLabels.OWNER));
    }

    /**
     * Issue 30 item 4: a spec may name any Secret of the namespace; the upload used to patch and opt in one without
     * an owner label, which then got mounted into the pod of whoever wrote the spec. Now it answers 409 (JSON body)
     * and leaves the Secret as it was; a Secret under the owner label of before issue 30 gets the relabel advice.
     */
    @Test
    void credentialUploadRefusesAnExistingSecretNotOptedInForTheOwner() throws Exception {
        client.secrets()
                .inNamespace("team-a")
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("sa-creds")
                        .endMetadata()
                        .addToData("password", RouterTestSupport.b64("db-secret"))
                        .build())
                .createOr(r -> r.update());

        HttpResponse<String> refused = send(get(router, "/collab/session/sa/credentials/auth.json", ADMIN_TOKEN)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"anthropic\":{}}")));
        assertEquals(409, refused.statusCode(), refused.body());
        assertTrue(json(refused).getString("error").contains("not opted in"), refused.body());
        assertEquals("sa", json(refused).getString("session"));
        assertFalse(refused.body().contains("db-secret"));
        Secret after =
                client.secrets().inNamespace("team-a").withName("sa-creds").get();
        assertTrue(
                after.getMetadata().getLabels() == null
                        || after.getMetadata().getLabels().isEmpty(),
                "not opted in by the upload");
        assertEquals(java.util.Set.of("password"), after.getData().keySet(), "nothing written");

        after.getMetadata()
                .setLabels(java.util.Map.of(
                        CollabLabels.CREDENTIALS,
                        "true",
                        CollabLabels.OWNER,
                        CollabLabels.legacyOwnerLabelValue("alice@example.com")));
        client.secrets().inNamespace("team-a").resource(after).update();
        HttpResponse<String> legacy = send(get(router, "/collab/session/sa/credentials/auth.json", ADMIN_TOKEN)
                .PUT(HttpRequest.BodyPublishers.ofString("{}")));
        assertEquals(409, legacy.statusCode(), legacy.body());
        assertTrue(
                json(legacy)
                        .getString("error")
                        .contains("collab.dev/owner=" + CollabLabels.ownerLabelValue("alice@example.com")),
                legacy.body());
        assertEquals(
                java.util.Set.of("password"),
                client.secrets()
                        .inNamespace("team-a")
                        .withName("sa-creds")
                        .get()
                        .getData()
                        .keySet());
    }

    /**
     * Issue 30 item 4: the Secret the upload created carried an owner reference to the one session it was uploaded
     * for, so deleting that session (the garbage collector follows the reference) deleted credentials the owner's
     * other sessions still named. Now it carries none, and a reference an older router set is dropped on upload.
     */
    @Test
    void credentialSecretBelongsToTheOwnerNotToTheSessionThatUploaded() throws Exception {
        client.secrets().inNamespace("team-b").withName("sb-creds").delete();
        await(
                "sb-creds gone",
                () -> client.secrets()
                                .inNamespace("team-b")
                                .withName("sb-creds")
                                .get()
                        == null);
        HttpResponse<String> created = send(get(router, "/collab/session/sb/credentials/auth.json", ADMIN_TOKEN)
                .PUT(HttpRequest.BodyPublishers.ofString("{}")));
        assertEquals(200, created.statusCode(), created.body());
        assertTrue(json(created).getBoolean("created"));
        Secret sb = client.secrets().inNamespace("team-b").withName("sb-creds").get();
        assertTrue(
                sb.getMetadata().getOwnerReferences() == null
                        || sb.getMetadata().getOwnerReferences().isEmpty(),
                "no owner reference: deleting session sb must not take the owner's Secret with it");
        assertEquals(
                CollabLabels.credentialSecretLabels("alice@example.com"),
                sb.getMetadata().getLabels());

        // Migration: what an older router created for session sb (a plain reference to it) loses that reference.
        CollabSession session = client.resources(CollabSession.class)
                .inNamespace("team-b")
                .withName("sb")
                .get();
        var other = new io.fabric8.kubernetes.api.model.OwnerReferenceBuilder()
                .withApiVersion("v1")
                .withKind("ConfigMap")
                .withName("keep")
                .withUid("uid-keep")
                .build();
        sb.getMetadata().setOwnerReferences(java.util.List.of(dev.collab.api.OwnerReferences.plain(session), other));
        client.secrets().inNamespace("team-b").resource(sb).update();
        HttpResponse<String> again = send(get(router, "/collab/session/sb/credentials/opencode.json", ADMIN_TOKEN)
                .PUT(HttpRequest.BodyPublishers.ofString("{}")));
        assertEquals(200, again.statusCode(), again.body());
        Secret migrated =
                client.secrets().inNamespace("team-b").withName("sb-creds").get();
        assertEquals(java.util.List.of(other), migrated.getMetadata().getOwnerReferences());
        assertEquals(
                java.util.Set.of("auth.json", "opencode.json"),
                migrated.getData().keySet());
        // Another test expects session sb to have no credential Secret yet.
        client.secrets().inNamespace("team-b").withName("sb-creds").delete();
    }

    @Test
    void credentialUploadWritesOnlyThatKeyOfThatSession() throws Exception {
        client.secrets()
                .inNamespace("team-a")
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("sa-creds")
                        .withLabels(CollabLabels.credentialSecretLabels("alice@example.com"))
                        .endMetadata()
                        .addToData("opencode.json", RouterTestSupport.b64("{\"plugin\":[]}"))
                        .build())
                .createOr(r -> r.update());
        Secret otherBefore =
                client.secrets().inNamespace("team-b").withName("sb-creds").get();
        String body = "{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-ant-upload\"}}";

        HttpResponse<String> ok = send(get(router, "/collab/session/sa/credentials/auth.json", ADMIN_TOKEN)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(200, ok.statusCode(), ok.body());
        assertFalse(ok.body().contains("sk-ant-upload"));
        Secret s = client.secrets().inNamespace("team-a").withName("sa-creds").get();
        assertEquals(body, unb64(s.getData().get("auth.json")));
        assertEquals("{\"plugin\":[]}", unb64(s.getData().get("opencode.json")), "other keys untouched");
        // The upload opts the Secret in for the session's owner: the operator uses no other Secret.
        assertEquals("true", s.getMetadata().getLabels().get(CollabLabels.CREDENTIALS));
        assertEquals(
                CollabLabels.ownerLabelValue("alice@example.com"),
                s.getMetadata().getLabels().get(CollabLabels.OWNER));
        assertEquals(
                otherBefore == null,
                client.secrets().inNamespace("team-b").withName("sb-creds").get() == null);

        HttpResponse<String> alias = send(get(router, "/collab/session/sa/claude-creds", ADMIN_TOKEN)
                .PUT(HttpRequest.BodyPublishers.ofString("{\"claudeAiOauth\":{}}")));
        assertEquals(200, alias.statusCode(), alias.body());
        assertEquals(
                "{\"claudeAiOauth\":{}}",
                unb64(client.secrets()
                        .inNamespace("team-a")
                        .withName("sa-creds")
                        .get()
                        .getData()
                        .get("claude-credentials.json")));

        // An account pool (issue 15) is uploaded like any credential key.
        String pool = "{\"accounts\":[{\"name\":\"work\",\"type\":\"api\",\"key\":\"sk-ant-pool\"}]}";
        HttpResponse<String> accounts = send(get(router, "/collab/session/sa/credentials/accounts.json", ADMIN_TOKEN)
                .PUT(HttpRequest.BodyPublishers.ofString(pool)));
        assertEquals(200, accounts.statusCode(), accounts.body());
        assertFalse(accounts.body().contains("sk-ant-pool"));
        assertEquals(
                pool,
                unb64(client.secrets()
                        .inNamespace("team-a")
                        .withName("sa-creds")
                        .get()
                        .getData()
                        .get("accounts.json")));

        // Session B has no credential Secret yet: the upload creates it.
        HttpResponse<String> created = send(get(router, "/collab/session/sb/credentials/opencode.json", ADMIN_TOKEN)
                .PUT(HttpRequest.BodyPublishers.ofString("{}")));
        assertEquals(200, created.statusCode(), created.body());
        assertTrue(json(created).getBoolean("created"));
        Secret sb = client.secrets().inNamespace("team-b").withName("sb-creds").get();
        assertEquals("{}", unb64(sb.getData().get("opencode.json")));
        assertEquals(1, sb.getData().size());
        assertEquals("true", sb.getMetadata().getLabels().get(CollabLabels.CREDENTIALS));
        assertEquals(
                CollabLabels.ownerLabelValue("alice@example.com"),
                sb.getMetadata().getLabels().get(CollabLabels.OWNER));

        assertEquals(
                400,
                send(get(router, "/collab/session/sa/credentials/auth.json", ADMIN_TOKEN)
                                .PUT(HttpRequest.BodyPublishers.ofString("{not json")))
                        .statusCode());
        assertEquals(
                400,
                send(get(router, "/collab/session/sa/credentials/id_rsa", ADMIN_TOKEN)
                                .PUT(HttpRequest.BodyPublishers.ofString("{}")))
                        .statusCode());
        assertEquals(
                415,
                send(get(router, "/collab/session/sa/credentials/auth.json", ADMIN_TOKEN)
                                .header("Content-Type", "text/plain")
                                .PUT(HttpRequest.BodyPublishers.ofString("{}")))
                        .statusCode());
        assertEquals(
                413,
                send(get(router, "/collab/session/sa/credentials/auth.json", ADMIN_TOKEN)
                                .PUT(HttpRequest.BodyPublishers.ofString("{\"k\":\"" + "x".repeat(100_000) + "\"}")))
                        .statusCode());
        assertEquals(
                403,
                send(get(router, "/collab/session/sa/credentials/auth.json", tokenA)
                                .PUT(HttpRequest.BodyPublishers.ofString("{}")))
                        .statusCode(),
                "the session token cannot upload");
        assertEquals(
                401,
                send(get(router, "/collab/session/sa/credentials/auth.json", null)
                                .PUT(HttpRequest.BodyPublishers.ofString("{}")))
                        .statusCode());
        assertEquals(
                405,
                send(get(router, "/collab/session/sa/credentials/auth.json", ADMIN_TOKEN))
                        .statusCode());
        assertEquals(
                404,
                send(get(router, "/collab/session/nosuch/credentials/auth.json", ADMIN_TOKEN)
                                .PUT(HttpRequest.BodyPublishers.ofString("{}")))
                        .statusCode());
        assertEquals(
                body,
                unb64(client.secrets()
                        .inNamespace("team-a")
                        .withName("sa-creds")
                        .get()
                        .getData()
                        .get("auth.json")));
    }

    @Test
    void sessionStatusAndDelete() throws Exception {
        HttpResponse<String> st = send(get(router, "/collab/session/sa", tokenA));
        assertEquals(200, st.statusCode(), st.body());
        JsonObject body = json(st);
        assertEquals("Running", body.getString("phase"));
        assertTrue(body.getBoolean("ready"));
        assertEquals("Ready", body.getJsonArray("conditions").getJsonObject(0).getString("type"));
        assertFalse(st.body().contains(backendA.password)
                || st.body().contains(tokenA)
                || st.body().contains("127.0.0.1"));
        assertEquals(200, send(get(router, "/collab/session/sa", ADMIN_TOKEN)).statusCode());
        assertEquals(403, send(get(router, "/collab/session/sa", tokenB)).statusCode());

        String token = createSession(client, "team-b", "doomed", "30m", "pw");
        await(
                "doomed session known",
                () -> router.router.directory().find("doomed").size() == 1);
        assertEquals(
                403,
                send(get(router, "/collab/session/doomed", token).DELETE()).statusCode(),
                "deleting needs the admin token");
        HttpResponse<String> del =
                send(get(router, "/collab/session/doomed", ADMIN_TOKEN).DELETE());
        assertEquals(200, del.statusCode(), del.body());
        assertNull(client.resources(CollabSession.class)
                .inNamespace("team-b")
                .withName("doomed")
                .get());
        await(
                "doomed session gone",
                () -> router.router.directory().find("doomed").isEmpty());
        assertEquals(
                404, send(get(router, "/collab/session/doomed", ADMIN_TOKEN)).statusCode());
        assertEquals(
                405,
                send(get(router, "/collab/session/sa", ADMIN_TOKEN).POST(HttpRequest.BodyPublishers.noBody()))
                        .statusCode());
    }

    @Test
    void restartedRouterRoutesAgainAfterInformerSync() throws Exception {
        RunningRouter second = new RunningRouter(
                vertx,
                client,
                RouterTestSupport.settings(MAX_BODY, Duration.ofSeconds(30), Duration.ofSeconds(30)),
                clock);
        try {
            await("restarted router synced", () -> second.router.ready());
            await("restarted router routes", () -> {
                try {
                    return send(get(second, "/s/sb/session", tokenB)).statusCode() == 200;
                } catch (Exception e) {
                    return false;
                }
            });
            assertEquals(
                    "backend-b",
                    json(send(get(second, "/s/sb/session", tokenB))).getString("backend"));
            assertTrue(second.router.directory().desiredCount() >= 2);
            assertTrue(second.router.directory().runningCount() >= 2);
        } finally {
            second.close();
        }
        assertEquals(200, send(get(router, "/s/sa/session", tokenA)).statusCode());
    }
}

package dev.collab.router;

import static dev.collab.router.RouterTestSupport.await;
import static dev.collab.router.RouterTestSupport.createSession;
import static dev.collab.router.RouterTestSupport.setStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.collab.api.SessionPhase;
import dev.collab.router.RouterTestSupport.RunningRouter;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
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
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile requests against the router's path policy and redaction, with a fake opencode (FakeOpencode) that
 * matches paths the way opencode 1.18.33 does (case-insensitive, path ends at ';', slashes folded), on the
 * Fabric8 mock API server.
 */
@EnableKubernetesMockClient(crud = true)
class RouterSecurityTest {
    static KubernetesMockServer server;
    static KubernetesClient client;

    static Vertx vertx;
    static RunningRouter router;
    static FakeOpencode backend;
    static String token;
    static final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(30))
            .build();
    static final List<String> SECRETS = List.of(
            "sk-ant-secret-1",
            "sk-ant-secret-2",
            "oauth-access-secret",
            "oauth-refresh-secret",
            "sk-config-secret",
            "header-secret",
            "mcp-env-secret",
            "mcp-header-secret",
            "sk-provider-auth-secret",
            "sk-provider-options-secret");

    @BeforeAll
    static void setUp() throws Exception {
        RouterTestSupport.registerCrd(server);
        RouterTestSupport.createAdminSecret(client);
        vertx = Vertx.vertx();
        backend = new FakeOpencode("backend", "password-x").start(vertx);
        token = createSession(client, "team-x", "x", "30m", backend.password);
        setStatus(client, "team-x", "x", SessionPhase.Running, null, backend.endpoint());
        router = new RunningRouter(
                vertx,
                client,
                RouterTestSupport.settings(1 << 20, Duration.ofSeconds(30), Duration.ofSeconds(30))
                        .withBrowser("Sessions.Test", List.of("https://portal.example/")),
                Clock.systemUTC());
        await(
                "session routable",
                () -> router.router.ready()
                        && router.router.directory().find("x").stream()
                                .anyMatch(cs ->
                                        cs.getStatus() != null && cs.getStatus().getEndpoint() != null));
    }

    @AfterAll
    static void tearDown() throws Exception {
        router.close();
        backend.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    static HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(router.base() + path))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json");
        b.method(
                method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A request line sent as is (paths java.net.http refuses), answered with the status code. */
    static int raw(String method, String target) throws Exception {
        return Integer.parseInt(
                exchange(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
                                + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
                        .substring(9, 12));
    }

    /** Sends a raw request; the response as text (status line, headers, body), read until the server closes. */
    static String exchange(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", router.server.actualPort())) {
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder text = new StringBuilder();
            byte[] buf = new byte[8192];
            for (int n; (n = readOrMinusOne(in, buf, text)) > 0; ) {
                text.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                if (complete(text)) {
                    break; // a WebSocket, or an answer on a connection that stays open
                }
            }
            return text.toString();
        }
    }

    /** A 101 with its headers, or headers with a Content-Length and that many bytes of body. */
    static boolean complete(StringBuilder text) {
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        String head = text.substring(0, end).toLowerCase(java.util.Locale.ROOT);
        int cl = head.indexOf("\r\ncontent-length: ");
        if (head.startsWith("http/1.1 101")) {
            return true;
        }
        if (cl < 0) {
            return false;
        }
        int eol = head.indexOf("\r\n", cl + 2);
        long length = Long.parseLong(
                head.substring(cl + 18, eol < 0 ? head.length() : eol).trim());
        return text.length() - end - 4 >= length;
    }

    static int readOrMinusOne(InputStream in, byte[] buf, StringBuilder text) throws java.io.IOException {
        try {
            return in.read(buf);
        } catch (java.net.SocketTimeoutException e) {
            throw new AssertionError("timed out after: " + text, e);
        }
    }

    /** A request from a browser: session cookie (no token), an Origin, and the Host it was sent to. */
    static String browser(String method, String path, String host, String origin, boolean webSocket) throws Exception {
        String upgrade = webSocket
                ? "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                : "Connection: close\r\n";
        String body = method.equals("GET") ? "" : "Content-Length: 2\r\nContent-Type: application/json\r\n";
        return exchange(
                method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nCookie: " + Tokens.COOKIE + "=" + token
                        + "\r\n" + (origin == null ? "" : "Origin: " + origin + "\r\n") + upgrade + body + "\r\n"
                        + (method.equals("GET") ? "" : "{}"));
    }

    static int status(String response) {
        return Integer.parseInt(response.substring(9, 12));
    }

    String own() {
        return "127.0.0.1:" + router.server.actualPort();
    }

    @Test
    void credentialAndConfigWritesAreRefusedInEverySpelling() throws Exception {
        List<String[]> writes = List.of(
                new String[] {"PUT", "/AUTH/anthropic"},
                new String[] {"PUT", "/Auth/anthropic/"},
                new String[] {"DELETE", "/AUTH/anthropic"},
                new String[] {"PUT", "/auth;x/anthropic"},
                new String[] {"PUT", "/auth/anthropic;x"},
                new String[] {"PUT", "//auth//anthropic"},
                new String[] {"PUT", "/%61uth/anthropic"},
                new String[] {"PUT", "/x/../AUTH/anthropic"},
                new String[] {"POST", "/provider/openai/OAuth/authorize"},
                new String[] {"POST", "/PROVIDER/openai/oauth/callback"},
                new String[] {"POST", "/api/integration/anthropic/connect/key"},
                new String[] {"POST", "/API/Integration/anthropic/Connect/Key/"},
                new String[] {"POST", "/api/integration/anthropic/connect/oauth"},
                new String[] {"POST", "/api/integration/attempt/a1/complete"},
                new String[] {"DELETE", "/api/credential/c1"},
                new String[] {"PATCH", "/api/credential/c1"},
                new String[] {"DELETE", "/API/CREDENTIAL/c1;v=1"},
                new String[] {"PATCH", "/config"},
                new String[] {"PATCH", "/Config/"},
                new String[] {"PATCH", "/config;x"},
                new String[] {"PATCH", "/global/config"},
                new String[] {"PATCH", "/GLOBAL//Config"},
                new String[] {"POST", "/mcp/gh/auth"},
                new String[] {"POST", "/global/upgrade"});
        int before = backend.received.get();
        for (String[] w : writes) {
            HttpResponse<String> r = send(w[0], "/s/x" + w[1], "{\"type\":\"api\",\"key\":\"sk-evil\"}");
            assertEquals(403, r.statusCode(), w[0] + " " + w[1]);
            assertTrue(new JsonObject(r.body()).containsKey("error"), r.body());
        }
        for (String target : new String[] {
            "/s/x/AUTH/anthropic#frag",
            "/s/x/auth/anthropic#",
            "/s/x/Auth/./anthropic",
            "/s/x/%2e%2e/x/auth/anthropic",
            "/s/x/auth;/anthropic/"
        }) {
            assertEquals(403, raw("PUT", target), target);
        }
        assertEquals(before, backend.received.get(), "no refused request reached opencode");
    }

    @Test
    void writesOpencodeHasNoRouteForAreRefused() throws Exception {
        int before = backend.received.get();
        HttpResponse<String> r = send("POST", "/s/x/no/such/route", "{}");
        assertEquals(403, r.statusCode());
        assertTrue(new JsonObject(r.body()).getString("error").startsWith("not forwarded: POST"), r.body());
        assertEquals(403, send("PUT", "/s/x/config/providers", "{}").statusCode(), "GET-only route");
        assertEquals(before, backend.received.get());
        // reads outside the API table are opencode's web UI (static files) and pass
        assertEquals(200, send("GET", "/s/x/assets/index.js", null).statusCode());
        assertEquals(200, send("POST", "/s/x/session/upload/message", "{}").statusCode(), "an allowed write passes");
    }

    @Test
    void secretsAreRedactedFromEveryReadThatCarriesThem() throws Exception {
        for (String path : new String[] {
            "/config/providers",
            "/CONFIG/providers",
            "/Config",
            "/config/providers;x",
            "/config;x",
            "/config/",
            "/config//providers",
            "/provider",
            "/Provider/",
            "/provider;a=b",
            "/global/config",
            "/GLOBAL/Config",
            "/config?x=1"
        }) {
            HttpResponse<String> r = send("GET", "/s/x" + path, null);
            assertEquals(200, r.statusCode(), path);
            for (String secret : SECRETS) {
                assertFalse(r.body().contains(secret), path + " leaks " + secret);
            }
            assertTrue(r.body().contains(SecretRedaction.REDACTED), path + ": " + r.body());
            assertTrue(r.body().contains("https://x/v1"), "non-secret values stay: " + path);
        }
        JsonObject provider = new JsonObject(send("GET", "/s/x/provider", null).body());
        assertEquals(
                "ANTHROPIC_API_KEY",
                provider.getJsonArray("all")
                        .getJsonObject(0)
                        .getJsonArray("env")
                        .getString(0),
                "names of environment variables are not secrets");
    }

    @Test
    void cookieRequestsFromAnotherOriginAreRefused() throws Exception {
        String write = "/s/x/session/upload/message";
        int before = backend.received.get();
        String evil = browser("POST", write, own(), "https://evil.example", false);
        assertEquals(403, status(evil), evil);
        assertTrue(evil.contains("cross-origin request refused"), evil);
        assertEquals(403, status(browser("POST", write, own(), "null", false)));
        assertEquals(
                403,
                status(browser("POST", write, own(), "http://127.0.0.1:1", false)),
                "another port is another origin");
        assertEquals(
                403,
                status(browser("GET", "/s/x/pty/p1/connect", own(), "https://evil.example", true)),
                "cross-site WebSocket hijacking");
        assertEquals(403, status(browser("GET", "/s/x/session", own(), "https://evil.example", false)));
        assertEquals(before, backend.received.get(), "no refused request reached opencode");

        assertEquals(200, status(browser("POST", write, own(), "http://" + own(), false)), "the router's own origin");
        assertEquals(
                200,
                status(browser("POST", write, own(), "https://PORTAL.example", false)),
                "collab.router.allowed-origins");
        assertEquals(200, status(browser("POST", write, own(), null, false)), "no Origin: not a browser");
        assertEquals(101, status(browser("GET", "/s/x/pty/p1/connect", own(), "http://" + own(), true)));
        HttpResponse<String> bearer = http.send(
                HttpRequest.newBuilder(URI.create(router.base() + write))
                        .header("Authorization", "Bearer " + token)
                        .header("Origin", "https://evil.example")
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, bearer.statusCode(), "a Bearer token is not ambient: no Origin check");
        assertEquals(
                HeaderRewrite.PATH_ROUTING_CSP,
                bearer.headers().firstValue("Content-Security-Policy").orElse(null),
                "under path routing a session's documents get an opaque origin (their requests carry Origin: null)");
    }

    @Test
    void hostRoutingServesTheSessionAtItsRoot() throws Exception {
        String host = "x.sessions.test:" + router.server.actualPort();
        String root = exchange("GET /?lang=en HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " + token
                + "\r\nConnection: close\r\n\r\n");
        assertEquals(200, status(root), root);
        JsonObject echo = new JsonObject(root.substring(root.indexOf("\r\n\r\n") + 4));
        assertEquals("/?lang=en", echo.getString("uri"));
        assertFalse(echo.getJsonObject("headers").containsKey("x-forwarded-prefix"));
        assertFalse(
                root.toLowerCase(java.util.Locale.ROOT).contains("content-security-policy"),
                "the UI runs at its own origin");

        String visit = exchange("GET /assets/app.js?token=" + token
                + " HTTP/1.1\r\nHost: X.Sessions.Test\r\nConnection: close\r\n\r\n");
        assertEquals(302, status(visit), visit);
        assertTrue(visit.toLowerCase(java.util.Locale.ROOT).contains("location: /assets/app.js\r\n"), visit);
        assertTrue(visit.contains(Tokens.COOKIE + "=" + token + "; Path=/; HttpOnly; Secure; SameSite=Lax"), visit);

        assertEquals(200, status(browser("GET", "/assets/app.js", host, null, false)), "the cookie works at the root");
        assertEquals(401, status(exchange("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")));
        assertEquals(
                404,
                status(exchange("GET / HTTP/1.1\r\nHost: nobody.sessions.test\r\nAuthorization: Bearer " + token
                        + "\r\nConnection: close\r\n\r\n")));
        assertEquals(
                403,
                status(exchange("PUT /AUTH/anthropic HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " + token
                        + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")),
                "the path policy applies");
        assertFalse(
                exchange("GET /CONFIG/providers HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " + token
                                + "\r\nConnection: close\r\n\r\n")
                        .contains("sk-ant-secret-1"),
                "redaction applies");
        assertEquals(
                403,
                status(browser(
                        "POST",
                        "/session/upload/message",
                        host,
                        "http://y.sessions.test:" + router.server.actualPort(),
                        false)),
                "another session's origin");
        assertEquals(200, status(browser("POST", "/session/upload/message", host, "http://" + host, false)));
        assertEquals(101, status(browser("GET", "/pty/p1/connect", host, "http://" + host, true)));
        assertEquals(
                200,
                status(exchange("GET /s/x/session HTTP/1.1\r\nHost: " + own() + "\r\nAuthorization: Bearer " + token
                        + "\r\nConnection: close\r\n\r\n")),
                "path routing on other hosts");
    }
}

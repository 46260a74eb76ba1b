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
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(30)).build();
    static final List<String> SECRETS = List.of("sk-ant-secret-1", "sk-ant-secret-2", "oauth-access-secret",
            "oauth-refresh-secret", "sk-config-secret", "header-secret", "mcp-env-secret", "mcp-header-secret",
            "sk-provider-auth-secret", "sk-provider-options-secret");

    @BeforeAll
    static void setUp() throws Exception {
        RouterTestSupport.registerCrd(server);
        RouterTestSupport.createAdminSecret(client);
        vertx = Vertx.vertx();
        backend = new FakeOpencode("backend", "password-x").start(vertx);
        token = createSession(client, "team-x", "x", "30m", backend.password);
        setStatus(client, "team-x", "x", SessionPhase.Running, null, backend.endpoint());
        router = new RunningRouter(vertx, client, RouterTestSupport.settings(1 << 20, Duration.ofSeconds(30),
                Duration.ofSeconds(30)), Clock.systemUTC());
        await("session routable", () -> router.router.ready() && router.router.directory().find("x").stream()
                .anyMatch(cs -> cs.getStatus() != null && cs.getStatus().getEndpoint() != null));
    }

    @AfterAll
    static void tearDown() throws Exception {
        router.close();
        backend.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    static HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(router.base() + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A request line sent as is (paths java.net.http refuses), answered with the status code. */
    static int raw(String method, String target) throws Exception {
        try (Socket s = new Socket("127.0.0.1", router.server.actualPort())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write((method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            String head = new String(in.readNBytes(12), StandardCharsets.ISO_8859_1);
            return Integer.parseInt(head.substring(9, 12));
        }
    }

    @Test
    void credentialAndConfigWritesAreRefusedInEverySpelling() throws Exception {
        List<String[]> writes = List.of(new String[] { "PUT", "/AUTH/anthropic" }, new String[] { "PUT", "/Auth/anthropic/" },
                new String[] { "DELETE", "/AUTH/anthropic" }, new String[] { "PUT", "/auth;x/anthropic" },
                new String[] { "PUT", "/auth/anthropic;x" }, new String[] { "PUT", "//auth//anthropic" },
                new String[] { "PUT", "/%61uth/anthropic" }, new String[] { "PUT", "/x/../AUTH/anthropic" },
                new String[] { "POST", "/provider/openai/OAuth/authorize" }, new String[] { "POST", "/PROVIDER/openai/oauth/callback" },
                new String[] { "POST", "/api/integration/anthropic/connect/key" },
                new String[] { "POST", "/API/Integration/anthropic/Connect/Key/" },
                new String[] { "POST", "/api/integration/anthropic/connect/oauth" },
                new String[] { "POST", "/api/integration/attempt/a1/complete" },
                new String[] { "DELETE", "/api/credential/c1" }, new String[] { "PATCH", "/api/credential/c1" },
                new String[] { "DELETE", "/API/CREDENTIAL/c1;v=1" }, new String[] { "PATCH", "/config" },
                new String[] { "PATCH", "/Config/" }, new String[] { "PATCH", "/config;x" }, new String[] { "PATCH", "/global/config" },
                new String[] { "PATCH", "/GLOBAL//Config" }, new String[] { "POST", "/mcp/gh/auth" },
                new String[] { "POST", "/global/upgrade" });
        int before = backend.received.get();
        for (String[] w : writes) {
            HttpResponse<String> r = send(w[0], "/s/x" + w[1], "{\"type\":\"api\",\"key\":\"sk-evil\"}");
            assertEquals(403, r.statusCode(), w[0] + " " + w[1]);
            assertTrue(new JsonObject(r.body()).containsKey("error"), r.body());
        }
        for (String target : new String[] { "/s/x/AUTH/anthropic#frag", "/s/x/auth/anthropic#", "/s/x/Auth/./anthropic",
                "/s/x/%2e%2e/x/auth/anthropic", "/s/x/auth;/anthropic/" }) {
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
        for (String path : new String[] { "/config/providers", "/CONFIG/providers", "/Config", "/config/providers;x",
                "/config;x", "/config/", "/config//providers", "/provider", "/Provider/", "/provider;a=b", "/global/config",
                "/GLOBAL/Config", "/config?x=1" }) {
            HttpResponse<String> r = send("GET", "/s/x" + path, null);
            assertEquals(200, r.statusCode(), path);
            for (String secret : SECRETS) {
                assertFalse(r.body().contains(secret), path + " leaks " + secret);
            }
            assertTrue(r.body().contains(SecretRedaction.REDACTED), path + ": " + r.body());
            assertTrue(r.body().contains("https://x/v1"), "non-secret values stay: " + path);
        }
        JsonObject provider = new JsonObject(send("GET", "/s/x/provider", null).body());
        assertEquals("ANTHROPIC_API_KEY", provider.getJsonArray("all").getJsonObject(0).getJsonArray("env").getString(0),
                "names of environment variables are not secrets");
    }
}

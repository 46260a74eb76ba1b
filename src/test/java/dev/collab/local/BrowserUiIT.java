package dev.collab.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.testing.Specs;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * opencode's web UI through the router, in a real browser: local mode (the packaged app with the real opencode)
 * runs one session; headless Debian chromium, driven by playwright-core (tools/browser-test/ui-check.mjs), opens
 * {@code http://<session>.localhost:<port>/?token=...} (host-based routing), and the page must render opencode's
 * own UI; the same page without the token must be refused. Screenshot: target/browser-ui/opencode-ui.png. The same
 * session checks the path policy and redaction against the real opencode's answers.
 *
 * Skipped (assumption) without /usr/bin/chromium, node, tools/browser-test/node_modules (npm ci there), opencode
 * or the packaged app; .ci/run installs all of them.
 */
@RealLocalMode
class BrowserUiIT {
    private static final String NS = LocalModeRun.NS;
    private static final String NAME = "ui";
    private static final String FAKE_KEY = "sk-ant-browser-test-0001";
    private static final String CONFIG_KEY = "sk-ant-browser-config-0002";
    private static final Duration DEADLINE = LocalModeRun.DEADLINE;
    private static final Path WORK = Path.of("target/browser-ui").toAbsolutePath();
    private static final Path TOOL = BrowserTool.DIR;

    private static LocalModeRun local;
    private static int port;
    private static String token;

    @BeforeAll
    static void startLocalMode() throws Exception {
        BrowserTool.assumeAvailable("BrowserUiIT");
        local = LocalModeRun.start(WORK, Map.of());
        port = URI.create(local.routerUrl()).getPort();
        String config = "{\"$schema\":\"https://opencode.ai/config.json\",\"autoupdate\":false,\"share\":\"disabled\","
                + "\"provider\":{\"anthropic\":{\"options\":{\"apiKey\":\"" + CONFIG_KEY + "\"}}}}";
        String auth = "{\"anthropic\":{\"type\":\"api\",\"key\":\"" + FAKE_KEY + "\"}}";
        Secret secret = new SecretBuilder()
                .withNewMetadata()
                .withName(NAME + "-credentials")
                .withNamespace(NS)
                .withLabels(CollabLabels.credentialSecretLabels("ui@example.com"))
                .endMetadata()
                .addToData("opencode.json", LocalModeRun.b64(config))
                .addToData("auth.json", LocalModeRun.b64(auth))
                .build();
        local.client().secrets().inNamespace(NS).resource(secret).create();
        CollabSessionSpec spec = Specs.seeded("ui@example.com", NAME + "-credentials");
        spec.setEnv(dev.collab.testing.Specs.OFFLINE_OPENCODE);
        local.client()
                .resources(CollabSession.class)
                .inNamespace(NS)
                .resource(new CollabSession(NS, NAME, spec))
                .create();
        token = LocalModeRun.await("access token", () -> local.accessToken(NAME));
        local.worker(LocalModeRun.await("session Ready", () -> local.readyPid(NAME)));
    }

    @AfterAll
    static void stopLocalMode() throws Exception {
        if (local != null) {
            local.stop(List.of(NAME));
        }
    }

    @Test
    void opencodeUiRendersThroughTheRouterAndNotWithoutTheToken() throws Exception {
        String page = "http://" + NAME + ".localhost:" + port + "/";
        Path screenshot = WORK.resolve("opencode-ui.png");
        JsonObject result = browser(page + "?token=" + token, page, screenshot);

        JsonObject seen = result.getJsonObject("withToken");
        assertEquals(200, seen.getInteger("status"), seen.encodePrettily());
        assertTrue(seen.getBoolean("element"), "opencode's UI rendered its title bar: " + seen.encodePrettily());
        assertEquals("OpenCode", seen.getString("title"));
        assertEquals(page, seen.getString("finalUrl"), "the token left the URL");
        // the only refused request is the web manifest, which browsers fetch without cookies
        assertTrue(
                seen.getJsonArray("failed").stream().allMatch(f -> f.toString().endsWith(" GET /site.webmanifest")),
                "the UI's API calls pass the router's policy: " + seen.getJsonArray("failed"));
        assertTrue(Files.size(screenshot) > 10_000, "screenshot " + screenshot);
        JsonObject cookie = seen.getJsonArray("cookies").getJsonObject(0);
        assertEquals("collab_session_token", cookie.getString("name"));
        assertEquals("/", cookie.getString("path"));
        assertTrue(cookie.getBoolean("httpOnly"));
        assertFalse(
                seen.encode().contains(FAKE_KEY) || seen.encode().contains(CONFIG_KEY), "the page shows no credential");
        assertFalse(seen.encode().contains(token), "the page shows no token");

        JsonObject refused = result.getJsonObject("withoutToken");
        assertEquals(401, refused.getInteger("status"), refused.encodePrettily());
        assertEquals("session token required", new JsonObject(refused.getString("body")).getString("error"));
        assertFalse(refused.getBoolean("element"));
    }

    /** The path policy and redaction against the real opencode's answers (not a fake's idea of them). */
    @Test
    void realOpencodeKeepsItsKeyBehindTheRouter() throws Exception {
        HttpClient http = LocalModeRun.HTTP;
        String base = "http://127.0.0.1:" + port + "/s/" + NAME;
        for (String read : List.of(
                "/provider",
                "/Provider/",
                "/config/providers",
                "/CONFIG/providers",
                "/config/providers;x",
                "/config",
                "/global/config")) {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(base + read))
                            .header("Authorization", "Bearer " + token)
                            .timeout(Duration.ofSeconds(60))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), read);
            assertFalse(r.body().contains(FAKE_KEY), read + " leaks the auth.json key");
            assertFalse(r.body().contains(CONFIG_KEY), read + " leaks the opencode.json apiKey");
        }
        HttpResponse<String> providers = http.send(
                HttpRequest.newBuilder(URI.create(base + "/config/providers"))
                        .header("Authorization", "Bearer " + token)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(providers.body().contains("\"key\":\"[redacted]\""), "opencode answered the seeded key, redacted");
        for (String[] write : List.of(
                new String[] {"PUT", "/AUTH/anthropic"},
                new String[] {"DELETE", "/auth/anthropic;x"},
                new String[] {"PATCH", "/Config"},
                new String[] {"PATCH", "/global/config"},
                new String[] {"POST", "/api/integration/anthropic/connect/key"})) {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(base + write[1]))
                            .header("Authorization", "Bearer " + token)
                            .header("Content-Type", "application/json")
                            .method(
                                    write[0],
                                    HttpRequest.BodyPublishers.ofString("{\"type\":\"api\",\"key\":\"sk-evil\"}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(403, r.statusCode(), write[0] + " " + write[1]);
        }
        HttpResponse<String> after = http.send(
                HttpRequest.newBuilder(URI.create(base + "/provider"))
                        .header("Authorization", "Bearer " + token)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertFalse(after.body().contains("sk-evil"), "no write reached opencode");
    }

    /** Runs tools/browser-test/ui-check.mjs; its last stdout line is the JSON report. */
    private static JsonObject browser(String withToken, String withoutToken, Path screenshot) throws Exception {
        Path out = WORK.resolve("browser.log");
        Process node = new ProcessBuilder(
                        "node", TOOL.resolve("ui-check.mjs").toString(), withToken, withoutToken, screenshot.toString())
                .directory(TOOL.toFile())
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .start();
        try {
            if (!node.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
                throw new AssertionError(
                        "browser check did not finish within " + DEADLINE.toSeconds() + " s; see " + out);
            }
        } finally {
            node.destroyForcibly();
        }
        List<String> lines = new ArrayList<>(Files.readAllLines(out));
        assertEquals(
                0,
                node.exitValue(),
                "browser check failed: " + String.join("\n", lines).replace(withToken, "<url>"));
        return new JsonObject(lines.get(lines.size() - 1));
    }
}

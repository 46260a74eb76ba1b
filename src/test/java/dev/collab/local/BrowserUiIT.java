package dev.collab.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
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
class BrowserUiIT {
    private static final String NS = "default";
    private static final String NAME = "ui";
    private static final String FAKE_KEY = "sk-ant-browser-test-0001";
    private static final String CONFIG_KEY = "sk-ant-browser-config-0002";
    private static final Duration DEADLINE = Duration.ofSeconds(180);
    private static final Path WORK = Path.of("target/browser-ui").toAbsolutePath();
    private static final Path TOOL = Path.of("tools/browser-test").toAbsolutePath();

    private static Process app;
    private static Path dataDir;
    private static KubernetesClient client;
    private static int port;
    private static String token;

    @BeforeAll
    static void startLocalMode() throws Exception {
        Optional<String> opencode = RealOpencode.find();
        Path jar = Path.of("target/quarkus-app/quarkus-run.jar");
        String chromium = System.getProperty("collab.it.chromium", "/usr/bin/chromium");
        String skip = !Files.isExecutable(Path.of(chromium))
                ? "no chromium at " + chromium + " (apt-get install chromium)"
                : !Files.isDirectory(TOOL.resolve("node_modules/playwright-core"))
                        ? "no playwright-core (npm ci in " + TOOL + ")"
                        : !onPath("node")
                                ? "no node on the PATH"
                                : opencode.isEmpty()
                                        ? "no opencode (.ci/install-opencode.sh)"
                                        : !Files.isRegularFile(jar)
                                                ? jar + " is missing (runs in ./mvnw verify)"
                                                : null;
        if (skip != null) {
            System.out.println("BrowserUiIT SKIPPED: " + skip); // an assumption in @BeforeAll reports 0 tests
        }
        assumeTrue(skip == null, skip);
        PodFiles.deleteTree(WORK);
        Files.createDirectories(WORK);
        // outside the repository: a session workspace inside a git work tree would make it opencode's project
        dataDir = Files.createTempDirectory("collab-browser-ui");
        port = ContainerLauncher.freePort();
        ProcessBuilder launch = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-jar",
                jar.toAbsolutePath().toString());
        launch.environment().put("COLLAB_ROLE", "local");
        launch.environment().put("COLLAB_LOCAL_DATA_DIR", dataDir.toString());
        launch.environment().put("COLLAB_LOCAL_OPENCODE_COMMAND", opencode.get());
        launch.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
        launch.redirectErrorStream(true)
                .redirectOutput(WORK.resolve("collab.log").toFile());
        app = launch.start();
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        await("local mode up", () -> {
            if (!app.isAlive()) {
                throw new AssertionError("local mode exited; see " + WORK.resolve("collab.log"));
            }
            try {
                return Files.isRegularFile(dataDir.resolve("kubeconfig"))
                                && http.send(
                                                        HttpRequest.newBuilder(URI.create(
                                                                        "http://127.0.0.1:" + port + "/q/health/live"))
                                                                .build(),
                                                        HttpResponse.BodyHandlers.discarding())
                                                .statusCode()
                                        == 200
                        ? true
                        : null;
            } catch (Exception e) {
                return null;
            }
        });
        client = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(Files.readString(dataDir.resolve("kubeconfig"))))
                .build();
        String config = "{\"$schema\":\"https://opencode.ai/config.json\",\"autoupdate\":false,\"share\":\"disabled\","
                + "\"provider\":{\"anthropic\":{\"options\":{\"apiKey\":\"" + CONFIG_KEY + "\"}}}}";
        String auth = "{\"anthropic\":{\"type\":\"api\",\"key\":\"" + FAKE_KEY + "\"}}";
        Secret secret = new SecretBuilder()
                .withNewMetadata()
                .withName(NAME + "-credentials")
                .withNamespace(NS)
                .endMetadata()
                .addToData("opencode.json", b64(config))
                .addToData("auth.json", b64(auth))
                .build();
        client.secrets().inNamespace(NS).resource(secret).create();
        CollabSessionSpec spec = new CollabSessionSpec("ui@example.com", NAME + "-credentials");
        // offline: a models.dev fetch that hangs on an unreachable network would stall the UI's provider list
        spec.setEnv(List.of(
                new EnvVar("OPENCODE_DISABLE_MODELS_FETCH", "true", null),
                new EnvVar("OPENCODE_DISABLE_AUTOUPDATE", "true", null)));
        client.resources(CollabSession.class)
                .inNamespace(NS)
                .resource(new CollabSession(NS, NAME, spec))
                .create();
        token = await("access token", BrowserUiIT::accessToken);
        await("session Ready", () -> {
            CollabSession cs = client.resources(CollabSession.class)
                    .inNamespace(NS)
                    .withName(NAME)
                    .get();
            return cs != null && cs.getStatus() != null && cs.getStatus().getEndpoint() != null ? true : null;
        });
    }

    @AfterAll
    static void stopLocalMode() throws Exception {
        if (client != null) {
            client.close();
        }
        if (app != null) {
            app.destroy();
            if (!app.waitFor(90, TimeUnit.SECONDS)) {
                app.destroyForcibly().waitFor();
            }
        }
        if (dataDir != null) {
            Path log = dataDir.resolve("sessions").resolve(NAME).resolve("opencode.log");
            if (Files.isRegularFile(log)) {
                Files.copy(log, WORK.resolve("opencode.log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            PodFiles.deleteTree(dataDir);
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
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
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

    private static String accessToken() {
        Secret s = client.secrets()
                .inNamespace(NS)
                .withName(CollabLabels.accessSecretName(NAME))
                .get();
        return s == null || s.getData() == null || s.getData().get(CollabLabels.ACCESS_TOKEN_KEY) == null
                ? null
                : new String(
                        Base64.getDecoder().decode(s.getData().get(CollabLabels.ACCESS_TOKEN_KEY)),
                        StandardCharsets.UTF_8);
    }

    private static boolean onPath(String command) {
        String path = System.getenv("PATH");
        return path != null
                && java.util.Arrays.stream(path.split(java.io.File.pathSeparator))
                        .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static <T> T await(String what, Supplier<T> probe) throws InterruptedException {
        Instant end = Instant.now().plus(DEADLINE);
        while (Instant.now().isBefore(end)) {
            T value = probe.get();
            if (value != null) {
                return value;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("timed out after " + DEADLINE.toSeconds() + " s waiting for " + what);
    }
}

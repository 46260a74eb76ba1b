package dev.collab.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Local mode as the proofs with the real opencode run it: the packaged app in its own JVM (embedded API, operator,
 * router, local node) on a free port, a data dir outside the repository, a Fabric8 client on its kubeconfig, and
 * the session-level moves a proof makes through the router (tokens, Ready pids, prompts). Shared by
 * {@link IsolationProofIT} (API keys) and {@link OAuthIsolationProofIT} (Claude subscriptions).
 */
final class LocalModeRun {
    static final Duration DEADLINE = Duration.ofSeconds(180);
    static final String NS = "default";
    static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private final Path work;
    private final Path dataDir;
    private final String routerUrl;
    private final ProcessBuilder launch;
    private final List<Long> workerPids = new ArrayList<>();
    private Process app;
    private KubernetesClient client;

    /**
     * Starts local mode on the embedded API without sandbox (as before issue 16; {@code env} may say otherwise);
     * {@code work} (under target/) receives its log and, at {@link #stop}, the worker logs.
     */
    static LocalModeRun start(Path work, Map<String, String> env) throws Exception {
        return startWith(work, defaults("embedded", "none", env));
    }

    /** Local mode on the real control plane with every worker under bwrap (both required), namespace {@link #NS}. */
    static LocalModeRun startOnControlPlane(Path work, Map<String, String> env) throws Exception {
        return startWith(work, defaults("control-plane", "bwrap", env));
    }

    private static Map<String, String> defaults(String api, String sandbox, Map<String, String> env) {
        Map<String, String> all = new LinkedHashMap<>(Map.of(
                "COLLAB_LOCAL_API", api, "COLLAB_LOCAL_SANDBOX", sandbox, "QUARKUS_KUBERNETES_CLIENT_NAMESPACE", NS));
        all.putAll(env);
        return all;
    }

    private static LocalModeRun startWith(Path work, Map<String, String> env) throws Exception {
        PodFiles.deleteTree(work);
        Files.createDirectories(work);
        // outside the repository: a session workspace inside a git work tree would make it opencode's project
        LocalModeRun run =
                new LocalModeRun(work.toAbsolutePath(), Files.createTempDirectory("collab-" + work.getFileName()), env);
        run.startApp();
        return run;
    }

    private LocalModeRun(Path work, Path dataDir, Map<String, String> env) {
        this.work = work;
        this.dataDir = dataDir;
        int httpPort = ContainerLauncher.freePort();
        routerUrl = "http://127.0.0.1:" + httpPort;
        launch = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-jar",
                Path.of("target/quarkus-app/quarkus-run.jar").toAbsolutePath().toString());
        launch.environment().put("COLLAB_ROLE", "local");
        launch.environment().put("COLLAB_LOCAL_DATA_DIR", dataDir.toString());
        launch.environment()
                .put("COLLAB_LOCAL_OPENCODE_COMMAND", RealOpencode.find().orElseThrow());
        launch.environment().put("QUARKUS_HTTP_PORT", Integer.toString(httpPort));
        launch.environment().putAll(env);
        launch.redirectErrorStream(true);
    }

    void startApp() throws Exception {
        Files.deleteIfExists(dataDir.resolve("kubeconfig"));
        launch.redirectOutput(
                ProcessBuilder.Redirect.appendTo(work.resolve("collab.log").toFile()));
        app = launch.start();
        await("local mode up", () -> {
            if (!app.isAlive()) {
                throw new AssertionError("local mode exited; see " + work.resolve("collab.log"));
            }
            return Files.isRegularFile(dataDir.resolve("kubeconfig")) && status(routerUrl + "/q/health/live") == 200
                    ? true
                    : null;
        });
        client = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(Files.readString(dataDir.resolve("kubeconfig"))))
                .build();
    }

    /** SIGTERM: Quarkus stops the operator, router and local node (workers get SIGTERM); no worker may outlive it. */
    void stopApp() throws Exception {
        client.close();
        app.destroy();
        if (!app.waitFor(90, TimeUnit.SECONDS)) {
            app.destroyForcibly();
            app.waitFor();
            throw new AssertionError("local mode did not stop within 90 s of SIGTERM");
        }
        for (long pid : workerPids) {
            assertFalse(
                    ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
                    "worker " + pid + " outlived local mode");
        }
    }

    /** Stops local mode if it runs, keeps the worker logs of {@code sessions} in the work dir, deletes the data dir. */
    void stop(List<String> sessions) throws Exception {
        try {
            if (app != null && app.isAlive()) {
                stopApp();
            }
        } finally {
            keepLogs(sessions);
            if (!Boolean.getBoolean("collab.it.keep-data")) {
                PodFiles.deleteTree(dataDir);
            }
        }
    }

    private void keepLogs(List<String> sessions) throws IOException {
        for (String session : sessions) { // worker logs for a failed CI run (fake credentials only)
            Path log = dataDir.resolve("sessions").resolve(session).resolve("opencode.log");
            if (Files.isRegularFile(log)) {
                Files.copy(log, work.resolve(session + "-opencode.log"), StandardCopyOption.REPLACE_EXISTING);
            }
            Path internal = home(session).resolve(".local/share/opencode/log");
            if (Files.isDirectory(internal)) { // opencode's own logs (no credentials: it logs paths and events)
                try (var logs = Files.list(internal)) {
                    for (Path l : logs.toList()) {
                        Files.copy(
                                l,
                                work.resolve(session + "-internal-" + l.getFileName()),
                                StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }
    }

    /** The process of local mode (its gateway is the only process that may reach the provider in Gateway mode). */
    long appPid() {
        return app.pid();
    }

    KubernetesClient client() {
        return client;
    }

    Path dataDir() {
        return dataDir;
    }

    Path work() {
        return work;
    }

    String routerUrl() {
        return routerUrl;
    }

    /** The session's HOME (stands for its PVC). */
    Path home(String session) {
        return dataDir.resolve("sessions").resolve(session).resolve("home");
    }

    /** Remembers a worker pid: {@link #stopApp} checks that none outlives local mode. */
    long worker(long pid) {
        workerPids.add(pid);
        return pid;
    }

    /** The workers remembered so far (mutable: a proof may add to it). */
    List<Long> workerPids() {
        return workerPids;
    }

    String adminToken() throws IOException {
        return Files.readString(dataDir.resolve("admin-token")).trim();
    }

    /** PUT {@code path} (under /collab/session/) with the admin token, as the collab app uploads credentials. */
    HttpResponse<String> adminPut(String path, String json) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(routerUrl + "/collab/session/" + path))
                        .header("Authorization", "Bearer " + adminToken())
                        .header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString(json))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    String accessToken(String session) {
        Secret s = client.secrets()
                .inNamespace(NS)
                .withName(CollabLabels.accessSecretName(session))
                .get();
        return s == null || s.getData() == null || s.getData().get(CollabLabels.ACCESS_TOKEN_KEY) == null
                ? null
                : new String(
                        Base64.getDecoder().decode(s.getData().get(CollabLabels.ACCESS_TOKEN_KEY)),
                        StandardCharsets.UTF_8);
    }

    /** The pid of the session's opencode process once the session is Ready (endpoint published), else null. */
    Long readyPid(String session) {
        CollabSession s = client.resources(CollabSession.class)
                .inNamespace(NS)
                .withName(session)
                .get();
        if (s == null || s.getStatus() == null || s.getStatus().getEndpoint() == null) {
            return null;
        }
        Pod pod = client.pods().inNamespace(NS).withName(session).get();
        if (pod == null
                || pod.getStatus() == null
                || pod.getStatus().getContainerStatuses() == null
                || pod.getStatus().getContainerStatuses().isEmpty()) {
            return null;
        }
        String id = pod.getStatus().getContainerStatuses().get(0).getContainerID();
        boolean ready = Boolean.TRUE.equals(
                pod.getStatus().getContainerStatuses().get(0).getReady());
        if (!ready
                || id == null
                || !s.getStatus()
                        .getEndpoint()
                        .endsWith(":" + pod.getMetadata().getAnnotations().get(CollabLabels.ENDPOINT_PORT))) {
            return null;
        }
        return Long.parseLong(id.substring("local://".length()));
    }

    /** Waits for the session's next Ready worker other than {@code previous}, and remembers it. */
    long awaitReplaced(String session, long previous) throws InterruptedException {
        return worker(await(session + "'s worker replaced", () -> {
            Long pid = readyPid(session);
            return pid != null && pid != previous ? pid : null;
        }));
    }

    /** opencode's HTTP API through the router: create an opencode session, send one message, expect the fake reply. */
    String prompt(String session, String token) throws Exception {
        return sendMessage(session, token, createOpencodeSession(session, token));
    }

    HttpResponse<String> createOpencodeSession(String session, String token) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(routerUrl + "/s/" + session + "/session"))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"title\":\"isolation proof\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String sendMessage(String session, String token, HttpResponse<String> created) throws Exception {
        String base = routerUrl + "/s/" + session;
        assertEquals(200, created.statusCode(), created.body());
        String id =
                Serialization.jsonMapper().readTree(created.body()).get("id").asText();
        HttpResponse<String> reply = HTTP.send(
                HttpRequest.newBuilder(URI.create(base + "/session/" + id + "/message"))
                        .timeout(Duration.ofSeconds(150))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"model\":{\"providerID\":\"anthropic\",\"modelID\":\"claude-sonnet-4-5\"},"
                                        + "\"parts\":[{\"type\":\"text\",\"text\":\"Say hello to " + session + "\"}]}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, reply.statusCode(), reply.body());
        JsonNode body = Serialization.jsonMapper().readTree(reply.body());
        assertTrue(
                body.toString().contains(FakeAnthropic.text()),
                "opencode answered with the fake completion: " + reply.body());
        return id;
    }

    /**
     * opencode installs its config-dir dependencies in the background after the first prompt, ignoring SIGTERM
     * meanwhile; a worker replaced in that window leaves state that stalls the next one for minutes (seen with
     * 1.18.33). Waits for the install to finish (best effort): package.json and package-lock.json are written when
     * it is complete (node_modules fills first).
     */
    void awaitConfigInstall(String session) throws InterruptedException {
        Path config = home(session).resolve(".config/opencode");
        Instant end = Instant.now().plusSeconds(90);
        while (!(Files.isRegularFile(config.resolve("package-lock.json"))
                        && Files.isRegularFile(config.resolve("package.json")))
                && Instant.now().isBefore(end)) {
            Thread.sleep(250);
        }
        Thread.sleep(500);
    }

    static Optional<Map<String, String>> environ(long pid) {
        try {
            String raw = Files.readString(Path.of("/proc/" + pid + "/environ"), StandardCharsets.UTF_8);
            Map<String, String> env = new LinkedHashMap<>();
            for (String kv : raw.split("\0")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    env.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
            return Optional.of(env);
        } catch (IOException e) {
            return Optional.empty(); // not Linux: the HOME check is covered by LocalKubeletTest
        }
    }

    int status(String url) {
        return status(HttpRequest.newBuilder(URI.create(url)).build());
    }

    static int status(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static <T> T await(String what, Supplier<T> probe) throws InterruptedException {
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

package dev.collab.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The isolation proof of issue 8, with the real opencode: local mode (the packaged app in its own JVM: embedded
 * API, operator, router, local node), a fake Anthropic endpoint on loopback, two sessions alice and bob with their
 * own credential Secrets. Each prompt goes through the router with the session's own token. The endpoint records
 * every request with the process that sent it, so "from alice's worker" means "from the process the local node
 * reports as alice's container", not an inference from the key.
 *
 * Needs opencode: on the PATH, at .collab-local/opencode (.ci/install-opencode.sh puts it there), or
 * -Dcollab.it.opencode=/path/to/opencode. Skipped with a message otherwise.
 */
class IsolationProofIT {
    private static final Duration DEADLINE = Duration.ofSeconds(180);
    private static final String NS = "default";
    private static final String ALICE_KEY = "sk-alice-0001-do-not-share";
    private static final String ALICE_NEW_KEY = "sk-alice-0002-rotated";
    private static final String BOB_KEY = "sk-bob-0001-do-not-share";

    private static FakeAnthropic anthropic;
    private static Process app;
    private static ProcessBuilder launch;
    private static KubernetesClient client;
    private static Path dataDir;
    private static String routerUrl;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final List<Long> WORKER_PIDS = new ArrayList<>();

    @BeforeAll
    static void startLocalMode() throws Exception {
        Optional<String> opencode = RealOpencode.find();
        Path jar = Path.of("target/quarkus-app/quarkus-run.jar");
        String skip = opencode.isEmpty() ? "IsolationProofIT SKIPPED: the isolation proof needs opencode (run "
                + ".ci/install-opencode.sh, put opencode on the PATH or set -Dcollab.it.opencode)"
                : !Files.isRegularFile(jar) ? "IsolationProofIT SKIPPED: " + jar + " is missing (runs in ./mvnw verify)" : null;
        if (skip != null) {
            System.out.println(skip); // an assumption in @BeforeAll is reported as 0 tests: say it in the build log
        }
        assumeTrue(skip == null, skip);

        anthropic = new FakeAnthropic();
        Path work = Path.of("target/isolation-proof").toAbsolutePath();
        PodFiles.deleteTree(work);
        Files.createDirectories(work);
        // outside the repository: a session workspace inside a git work tree would make it opencode's project
        dataDir = Files.createTempDirectory("collab-isolation-proof");
        int httpPort = ContainerLauncher.freePort();
        routerUrl = "http://127.0.0.1:" + httpPort;
        launch = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-jar", jar.toAbsolutePath().toString());
        launch.environment().put("COLLAB_ROLE", "local");
        launch.environment().put("COLLAB_LOCAL_DATA_DIR", dataDir.toString());
        launch.environment().put("COLLAB_LOCAL_OPENCODE_COMMAND", opencode.get());
        launch.environment().put("QUARKUS_HTTP_PORT", Integer.toString(httpPort));
        // A worker that hangs gets 504 after 45 s, and the proof fails: there is no restart-on-hang path.
        launch.environment().put("COLLAB_ROUTER_UPSTREAM_TIMEOUT", "45s");
        launch.redirectErrorStream(true);
        startApp();
    }

    private static void startApp() throws Exception {
        Files.deleteIfExists(dataDir.resolve("kubeconfig"));
        launch.redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of("target/isolation-proof/collab.log").toFile()));
        app = launch.start();
        await("local mode up", () -> {
            if (!app.isAlive()) {
                throw new AssertionError("local mode exited; see target/isolation-proof/collab.log");
            }
            return Files.isRegularFile(dataDir.resolve("kubeconfig")) && status(routerUrl + "/q/health/live") == 200 ? true : null;
        });
        client = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(Files.readString(dataDir.resolve("kubeconfig")))).build();
    }

    /** SIGTERM: Quarkus stops the operator, router and local node (workers get SIGTERM); no worker may outlive it. */
    private static void stopApp() throws Exception {
        client.close();
        app.destroy();
        if (!app.waitFor(90, java.util.concurrent.TimeUnit.SECONDS)) {
            app.destroyForcibly();
            app.waitFor();
            throw new AssertionError("local mode did not stop within 90 s of SIGTERM");
        }
        for (long pid : WORKER_PIDS) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "worker " + pid + " outlived local mode");
        }
    }

    @AfterAll
    static void stopLocalMode() throws Exception {
        if (app != null && app.isAlive()) {
            stopApp();
        }
        if (anthropic != null) {
            anthropic.close();
        }
        if (dataDir != null) {
            for (String session : List.of("alice", "bob")) { // worker logs for a failed CI run (fake keys only)
                Path log = dataDir.resolve("sessions").resolve(session).resolve("opencode.log");
                if (Files.isRegularFile(log)) {
                    Files.copy(log, Path.of("target/isolation-proof", session + "-opencode.log"),
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
                Path internal = dataDir.resolve("sessions").resolve(session).resolve("home/.local/share/opencode/log");
                if (Files.isDirectory(internal)) { // opencode's own logs (no credentials: it logs paths and events)
                    try (var logs = Files.list(internal)) {
                        for (Path l : logs.toList()) {
                            Files.copy(l, Path.of("target/isolation-proof", session + "-internal-" + l.getFileName()),
                                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            }
            if (!Boolean.getBoolean("collab.it.keep-data")) {
                PodFiles.deleteTree(dataDir);
            }
        }
    }

    @Test
    void eachSessionBillsItsOwnAccount() throws Exception {
        createSession("alice", ALICE_KEY);
        createSession("bob", BOB_KEY);
        String aliceToken = await("alice's access token", () -> accessToken("alice"));
        String bobToken = await("bob's access token", () -> accessToken("bob"));
        long alicePid = await("alice Ready", () -> readyPid("alice"));
        long bobPid = await("bob Ready", () -> readyPid("bob"));
        WORKER_PIDS.add(alicePid);
        WORKER_PIDS.add(bobPid);

        // two distinct worker processes with two distinct HOME folders
        assertNotEquals(alicePid, bobPid);
        Path aliceHome = dataDir.resolve("sessions/alice/home");
        Path bobHome = dataDir.resolve("sessions/bob/home");
        environ(alicePid).ifPresent(env -> assertEquals(aliceHome.toString(), env.get("HOME")));
        environ(bobPid).ifPresent(env -> assertEquals(bobHome.toString(), env.get("HOME")));

        // a prompt each, through the router, each with its own session token
        prompt("alice", aliceToken);
        prompt("bob", bobToken);

        // alice's token is refused on bob's route (and the reverse)
        assertEquals(403, status(HttpRequest.newBuilder(URI.create(routerUrl + "/s/bob/global/health"))
                .header("Authorization", "Bearer " + aliceToken).build()));
        assertEquals(403, status(HttpRequest.newBuilder(URI.create(routerUrl + "/s/alice/global/health"))
                .header("Authorization", "Bearer " + bobToken).build()));

        assertOnlyOwnCredential("alice", alicePid, ALICE_KEY);
        assertOnlyOwnCredential("bob", bobPid, BOB_KEY);

        // opencode installs its config-dir dependencies in the background after the first prompt, ignoring SIGTERM
        // meanwhile; a worker replaced in that window leaves state that stalls the next one for minutes (seen with
        // 1.18.33). Not what this test is about: let the install finish first (best effort).
        awaitConfigInstall("alice");
        awaitConfigInstall("bob");

        // a new credential for alice, uploaded through the router with the admin token
        String admin = Files.readString(dataDir.resolve("admin-token")).trim();
        HttpResponse<String> upload = HTTP.send(HttpRequest.newBuilder(
                        URI.create(routerUrl + "/collab/session/alice/credentials/auth.json"))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(authJson(ALICE_NEW_KEY))).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(upload.statusCode() < 300, "upload: " + upload.statusCode() + " " + upload.body());

        long aliceNewPid = await("alice's worker replaced", () -> {
            Long pid = readyPid("alice");
            return pid != null && pid != alicePid ? pid : null;
        });
        WORKER_PIDS.add(aliceNewPid);
        assertFalse(ProcessHandle.of(alicePid).map(ProcessHandle::isAlive).orElse(false), "alice's old worker stopped");
        int before = anthropic.requests().size();
        prompt("alice", aliceToken); // the first request to the new worker, sent as soon as it is Ready
        prompt("bob", bobToken);
        assertEquals(bobPid, readyPid("bob"), "bob's worker kept running, untouched");
        assertTrue(ProcessHandle.of(bobPid).map(ProcessHandle::isAlive).orElse(false));

        List<FakeAnthropic.Recorded> after = anthropic.requests().subList(before, anthropic.requests().size());
        List<FakeAnthropic.Recorded> aliceAfter = after.stream().filter(r -> from("alice", r, aliceNewPid)).toList();
        assertFalse(aliceAfter.isEmpty(), "alice's next prompt reached the endpoint");
        aliceAfter.forEach(r -> assertEquals(ALICE_NEW_KEY, r.apiKey(), "alice's next request carries the new key"));
        assertOnlyOwnCredential("alice", aliceNewPid, ALICE_NEW_KEY);
        assertOnlyOwnCredential("bob", bobPid, BOB_KEY);
        printSummary(Map.of("alice", List.of(alicePid, aliceNewPid), "bob", List.of(bobPid)));

        // local mode restarted: the sessions come back with the same tokens and their HOME (opencode's own sessions)
        String bobOpencodeSession = prompt("bob", bobToken);
        awaitConfigInstall("alice");
        stopApp();
        startApp();
        assertEquals(aliceToken, await("alice's token after restart", () -> accessToken("alice")));
        assertEquals(bobToken, await("bob's token after restart", () -> accessToken("bob")));
        long bobStarted = await("bob Ready after restart", () -> readyPid("bob"));
        WORKER_PIDS.add(bobStarted);
        prompt("bob", bobToken);
        HttpResponse<String> bobSessions = HTTP.send(HttpRequest.newBuilder(URI.create(routerUrl + "/s/bob/session"))
                .header("Authorization", "Bearer " + bobToken).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, bobSessions.statusCode());
        assertTrue(bobSessions.body().contains(bobOpencodeSession), "bob's opencode sessions survived in his HOME");
        assertOnlyOwnCredential("bob", bobStarted, BOB_KEY);
    }

    /**
     * Every request from this session's worker (by process; by the session's own base URL when the process could
     * not be told) carried this key and nothing else; no other session's worker ever sent it.
     */
    private static void assertOnlyOwnCredential(String session, long pid, String key) {
        List<FakeAnthropic.Recorded> all = anthropic.requests();
        assertTrue(all.stream().anyMatch(r -> from(session, r, pid)), session + "'s worker reached the endpoint");
        for (FakeAnthropic.Recorded r : all) {
            boolean sessionPath = r.path().startsWith("/" + session + "/");
            if (from(session, r, pid)) {
                assertTrue(sessionPath, "worker " + pid + " of " + session + " used another session's configuration: " + r.path());
                assertEquals(key, r.apiKey(), session + "'s worker sent another credential");
                assertTrue(r.authorization() == null || !r.authorization().contains("sk-"), "no other credential in Authorization");
            } else if (!sessionPath) {
                assertNotEquals(key, r.apiKey(), "another session's worker sent " + session + "'s credential");
            } // else: the same session's earlier or later worker, checked with its own pid and key
        }
    }

    private static boolean from(String session, FakeAnthropic.Recorded r, long pid) {
        return r.pid() == pid || (r.pid() == -1 && r.path().startsWith("/" + session + "/"));
    }

    private static void createSession(String name, String key) {
        // each session's opencode.json points at its own path prefix: a shared config would show in the path
        String config = "{\"$schema\":\"https://opencode.ai/config.json\",\"autoupdate\":false,\"share\":\"disabled\","
                + "\"provider\":{\"anthropic\":{\"options\":{\"baseURL\":\"http://127.0.0.1:" + anthropic.port() + "/" + name
                + "/v1\"}}}}";
        Secret secret = new SecretBuilder().withNewMetadata().withName(name + "-credentials").withNamespace(NS).endMetadata()
                .addToData("opencode.json", b64(config)).addToData("auth.json", b64(authJson(key))).build();
        client.secrets().inNamespace(NS).resource(secret).create();
        CollabSessionSpec spec = new CollabSessionSpec(name + "@example.com", name + "-credentials");
        // offline like the fake endpoint: a models.dev fetch that hangs on an unreachable network stalls a prompt
        spec.setEnv(List.of(new EnvVar("OPENCODE_DISABLE_MODELS_FETCH", "true", null),
                new EnvVar("OPENCODE_DISABLE_AUTOUPDATE", "true", null)));
        client.resources(CollabSession.class).inNamespace(NS).resource(new CollabSession(NS, name, spec)).create();
    }

    private static String authJson(String key) {
        return "{\"anthropic\":{\"type\":\"api\",\"key\":\"" + key + "\"}}";
    }

    /** opencode's HTTP API through the router: create an opencode session, send one message, expect the fake reply. */
    private static String prompt(String session, String token) throws Exception {
        return sendMessage(session, token, createOpencodeSession(session, token));
    }

    private static HttpResponse<String> createOpencodeSession(String session, String token) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(routerUrl + "/s/" + session + "/session"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"title\":\"isolation proof\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String sendMessage(String session, String token, HttpResponse<String> created) throws Exception {
        String base = routerUrl + "/s/" + session;
        assertEquals(200, created.statusCode(), created.body());
        String id = Serialization.jsonMapper().readTree(created.body()).get("id").asText();
        HttpResponse<String> reply = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/session/" + id + "/message"))
                .timeout(Duration.ofSeconds(150))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":{\"providerID\":\"anthropic\",\"modelID\":\"claude-sonnet-4-5\"},"
                        + "\"parts\":[{\"type\":\"text\",\"text\":\"Say hello to " + session + "\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, reply.statusCode(), reply.body());
        JsonNode body = Serialization.jsonMapper().readTree(reply.body());
        assertTrue(body.toString().contains(FakeAnthropic.text()), "opencode answered with the fake completion: " + reply.body());
        return id;
    }

    private static void awaitConfigInstall(String session) throws InterruptedException {
        // package.json and package-lock.json are written when the install is complete (node_modules fills first)
        Path config = dataDir.resolve("sessions").resolve(session).resolve("home/.config/opencode");
        Instant end = Instant.now().plusSeconds(90);
        while (!(Files.isRegularFile(config.resolve("package-lock.json")) && Files.isRegularFile(config.resolve("package.json")))
                && Instant.now().isBefore(end)) {
            Thread.sleep(250);
        }
        Thread.sleep(500);
    }

    private static String accessToken(String session) {
        Secret s = client.secrets().inNamespace(NS).withName(CollabLabels.accessSecretName(session)).get();
        return s == null || s.getData() == null || s.getData().get(CollabLabels.ACCESS_TOKEN_KEY) == null ? null
                : new String(Base64.getDecoder().decode(s.getData().get(CollabLabels.ACCESS_TOKEN_KEY)), StandardCharsets.UTF_8);
    }

    /** The pid of the session's opencode process once the session is Ready (endpoint published), else null. */
    private static Long readyPid(String session) {
        CollabSession s = client.resources(CollabSession.class).inNamespace(NS).withName(session).get();
        if (s == null || s.getStatus() == null || s.getStatus().getEndpoint() == null) {
            return null;
        }
        Pod pod = client.pods().inNamespace(NS).withName(session).get();
        if (pod == null || pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null
                || pod.getStatus().getContainerStatuses().isEmpty()) {
            return null;
        }
        String id = pod.getStatus().getContainerStatuses().get(0).getContainerID();
        boolean ready = Boolean.TRUE.equals(pod.getStatus().getContainerStatuses().get(0).getReady());
        if (!ready || id == null || !s.getStatus().getEndpoint().endsWith(":" + pod.getMetadata().getAnnotations()
                .get(CollabLabels.ENDPOINT_PORT))) {
            return null;
        }
        return Long.parseLong(id.substring("local://".length()));
    }

    private static Optional<Map<String, String>> environ(long pid) {
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

    private static void printSummary(Map<String, List<Long>> pids) throws IOException {
        StringBuilder out = new StringBuilder("ISOLATION PROOF: credential headers recorded at the fake Anthropic endpoint\n");
        for (var e : new java.util.TreeMap<>(pids).entrySet()) {
            for (long pid : e.getValue()) {
                var byHeader = anthropic.requests().stream().filter(r -> r.pid() == pid || (r.pid() == -1
                        && r.path().startsWith("/" + e.getKey() + "/")))
                        .collect(Collectors.groupingBy(r -> "x-api-key=" + redact(r.apiKey()) + " authorization="
                                + redact(r.authorization()), java.util.TreeMap::new, Collectors.counting()));
                out.append(String.format("  %-5s worker pid %-7d requests by header: %s%n", e.getKey(), pid, byHeader));
            }
        }
        long unattributed = anthropic.requests().stream().filter(r -> r.pid() == -1).count();
        out.append("  requests whose process could not be told (attributed by base URL): ").append(unattributed).append('\n');
        System.out.print(out);
        Files.writeString(Path.of("target/isolation-proof/summary.txt"), out.toString());
    }

    /** Up to the third '-' (at most 14 characters): "sk-alice-0001-…", "sk-ant-api03-…"; never the secret part. */
    static String redact(String value) {
        if (value == null) {
            return "none";
        }
        int cut = -1;
        for (int i = 0, dashes = 0; i < value.length() && i < 14; i++) {
            if (value.charAt(i) == '-' && ++dashes == 3) {
                cut = i + 1;
                break;
            }
        }
        return value.substring(0, cut > 0 ? cut : Math.min(4, value.length())) + "…";
    }

    private static int status(String url) {
        return status(HttpRequest.newBuilder(URI.create(url)).build());
    }

    private static int status(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
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

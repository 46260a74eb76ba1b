package dev.collab.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The isolation proof of issue 8, with the real opencode: local mode (the packaged app in its own JVM: embedded
 * API, operator, router, local node; LocalModeApp), a fake Anthropic endpoint on loopback, two sessions alice and bob with their
 * own credential Secrets. Each prompt goes through the router with the session's own token. The endpoint records
 * every request with the process that sent it, so "from alice's worker" means "from the process the local node
 * reports as alice's container", not an inference from the key.
 *
 * Needs opencode: on the PATH, at .collab-local/opencode (.ci/install-opencode.sh puts it there), or
 * -Dcollab.it.opencode=/path/to/opencode. Skipped with a message otherwise.
 */
class IsolationProofIT {
    private static final String NS = LocalModeApp.NS;
    private static final String ALICE_KEY = "sk-alice-0001-do-not-share";
    private static final String ALICE_NEW_KEY = "sk-alice-0002-rotated";
    private static final String BOB_KEY = "sk-bob-0001-do-not-share";

    private static FakeAnthropic anthropic;
    private static LocalModeApp app;
    private static KubernetesClient client;
    private static Path dataDir;
    private static String routerUrl;

    @BeforeAll
    static void startLocalMode() throws Exception {
        anthropic = new FakeAnthropic(); // closed in stopLocalMode, also when the proof is skipped
        app = LocalModeApp.startOrSkip("IsolationProofIT", "isolation-proof", Map.of());
        client = app.client();
        dataDir = app.dataDir();
        routerUrl = app.routerUrl();
    }

    @AfterAll
    static void stopLocalMode() throws Exception {
        LocalModeApp.closeAll(app, anthropic);
    }

    @Test
    void eachSessionBillsItsOwnAccount() throws Exception {
        createSession("alice", ALICE_KEY);
        createSession("bob", BOB_KEY);
        String aliceToken = LocalModeApp.await("alice's access token", () -> app.accessToken("alice"));
        String bobToken = LocalModeApp.await("bob's access token", () -> app.accessToken("bob"));
        long alicePid = LocalModeApp.await("alice Ready", () -> app.readyPid("alice"));
        long bobPid = LocalModeApp.await("bob Ready", () -> app.readyPid("bob"));
        app.worker(alicePid);
        app.worker(bobPid);

        // two distinct worker processes with two distinct HOME folders
        assertNotEquals(alicePid, bobPid);
        Path aliceHome = dataDir.resolve("sessions/alice/home");
        Path bobHome = dataDir.resolve("sessions/bob/home");
        LocalModeApp.environ(alicePid).ifPresent(env -> assertEquals(aliceHome.toString(), env.get("HOME")));
        LocalModeApp.environ(bobPid).ifPresent(env -> assertEquals(bobHome.toString(), env.get("HOME")));

        // a prompt each, through the router, each with its own session token
        app.prompt("alice", aliceToken);
        app.prompt("bob", bobToken);

        // alice's token is refused on bob's route (and the reverse)
        assertEquals(403, LocalModeApp.status(HttpRequest.newBuilder(URI.create(routerUrl + "/s/bob/global/health"))
                .header("Authorization", "Bearer " + aliceToken).build()));
        assertEquals(403, LocalModeApp.status(HttpRequest.newBuilder(URI.create(routerUrl + "/s/alice/global/health"))
                .header("Authorization", "Bearer " + bobToken).build()));

        assertOnlyOwnCredential("alice", alicePid, ALICE_KEY);
        assertOnlyOwnCredential("bob", bobPid, BOB_KEY);

        // opencode installs its config-dir dependencies in the background after the first prompt, ignoring SIGTERM
        // meanwhile; a worker replaced in that window leaves state that stalls the next one for minutes (seen with
        // 1.18.33). Not what this test is about: let the install finish first (best effort).
        app.awaitConfigInstall("alice");
        app.awaitConfigInstall("bob");

        // a new credential for alice, uploaded through the router with the admin token
        String admin = app.adminToken();
        HttpResponse<String> upload = LocalModeApp.HTTP.send(HttpRequest.newBuilder(
                        URI.create(routerUrl + "/collab/session/alice/credentials/auth.json"))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(authJson(ALICE_NEW_KEY))).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(upload.statusCode() < 300, "upload: " + upload.statusCode() + " " + upload.body());

        long aliceNewPid = LocalModeApp.await("alice's worker replaced", () -> {
            Long pid = app.readyPid("alice");
            return pid != null && pid != alicePid ? pid : null;
        });
        app.worker(aliceNewPid);
        assertFalse(ProcessHandle.of(alicePid).map(ProcessHandle::isAlive).orElse(false), "alice's old worker stopped");
        int before = anthropic.requests().size();
        app.prompt("alice", aliceToken); // the first request to the new worker, sent as soon as it is Ready
        app.prompt("bob", bobToken);
        assertEquals(bobPid, app.readyPid("bob"), "bob's worker kept running, untouched");
        assertTrue(ProcessHandle.of(bobPid).map(ProcessHandle::isAlive).orElse(false));

        List<FakeAnthropic.Recorded> after = anthropic.requests().subList(before, anthropic.requests().size());
        List<FakeAnthropic.Recorded> aliceAfter = after.stream().filter(r -> from("alice", r, aliceNewPid)).toList();
        assertFalse(aliceAfter.isEmpty(), "alice's next prompt reached the endpoint");
        aliceAfter.forEach(r -> assertEquals(ALICE_NEW_KEY, r.apiKey(), "alice's next request carries the new key"));
        assertOnlyOwnCredential("alice", aliceNewPid, ALICE_NEW_KEY);
        assertOnlyOwnCredential("bob", bobPid, BOB_KEY);
        printSummary(Map.of("alice", List.of(alicePid, aliceNewPid), "bob", List.of(bobPid)));

        // local mode restarted: the sessions come back with the same tokens and their HOME (opencode's own sessions)
        String bobOpencodeSession = app.prompt("bob", bobToken);
        app.awaitConfigInstall("alice");
        app.stop();
        app.start();
        client = app.client();
        assertEquals(aliceToken, LocalModeApp.await("alice's token after restart", () -> app.accessToken("alice")));
        assertEquals(bobToken, LocalModeApp.await("bob's token after restart", () -> app.accessToken("bob")));
        long bobStarted = LocalModeApp.await("bob Ready after restart", () -> app.readyPid("bob"));
        app.worker(bobStarted);
        app.prompt("bob", bobToken);
        HttpResponse<String> bobSessions = LocalModeApp.HTTP.send(HttpRequest.newBuilder(URI.create(routerUrl + "/s/bob/session"))
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
                .addToData("opencode.json", LocalModeApp.b64(config)).addToData("auth.json", LocalModeApp.b64(authJson(key))).build();
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
}

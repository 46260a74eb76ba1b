package dev.collab.local;

import static dev.collab.local.LocalModeRun.await;
import static dev.collab.local.LocalModeRun.b64;
import static dev.collab.local.LocalModeRun.environ;
import static dev.collab.local.LocalModeRun.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.testing.Specs;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
@RealLocalMode(controlPlane = true)
class IsolationProofIT {
    private static final String NS = LocalModeRun.NS;
    private static final String ALICE_KEY = "sk-alice-0001-do-not-share";
    private static final String ALICE_NEW_KEY = "sk-alice-0002-rotated";
    private static final String BOB_KEY = "sk-bob-0001-do-not-share";

    private static FakeAnthropic anthropic;
    private static LocalModeRun local;
    private static KubernetesClient client;
    private static Path dataDir;
    private static String routerUrl;
    private static final HttpClient HTTP = LocalModeRun.HTTP;
    private static List<Long> WORKER_PIDS;

    @BeforeAll
    static void startLocalMode() throws Exception {
        anthropic = new FakeAnthropic();
        // A worker that hangs gets 504 after 45 s, and the proof fails: there is no restart-on-hang path.
        local = LocalModeRun.startOnControlPlane(
                Path.of("target/isolation-proof"), Map.of("COLLAB_ROUTER_UPSTREAM_TIMEOUT", "45s"));
        client = local.client();
        dataDir = local.dataDir();
        routerUrl = local.routerUrl();
        WORKER_PIDS = local.workerPids();
    }

    private static void startApp() throws Exception {
        local.startApp();
        client = local.client();
    }

    private static void stopApp() throws Exception {
        local.stopApp();
    }

    @AfterAll
    static void stopLocalMode() throws Exception {
        try {
            if (local != null) {
                local.stop(List.of("alice", "bob"));
            }
        } finally {
            if (anthropic != null) {
                anthropic.close();
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
        assertEquals(
                403,
                status(HttpRequest.newBuilder(URI.create(routerUrl + "/s/bob/global/health"))
                        .header("Authorization", "Bearer " + aliceToken)
                        .build()));
        assertEquals(
                403,
                status(HttpRequest.newBuilder(URI.create(routerUrl + "/s/alice/global/health"))
                        .header("Authorization", "Bearer " + bobToken)
                        .build()));

        assertOnlyOwnCredential("alice", alicePid, ALICE_KEY);
        assertOnlyOwnCredential("bob", bobPid, BOB_KEY);
        assertSandboxed("alice", aliceToken, ALICE_KEY, BOB_KEY);

        // opencode installs its config-dir dependencies in the background after the first prompt, ignoring SIGTERM
        // meanwhile; a worker replaced in that window leaves state that stalls the next one for minutes (seen with
        // 1.18.33). Not what this test is about: let the install finish first (best effort).
        awaitConfigInstall("alice");
        awaitConfigInstall("bob");

        // a new credential for alice, uploaded through the router with the admin token
        String admin = Files.readString(dataDir.resolve("admin-token")).trim();
        HttpResponse<String> upload = HTTP.send(
                HttpRequest.newBuilder(URI.create(routerUrl + "/collab/session/alice/credentials/auth.json"))
                        .header("Authorization", "Bearer " + admin)
                        .header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString(authJson(ALICE_NEW_KEY)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
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

        List<FakeAnthropic.Recorded> after =
                anthropic.requests().subList(before, anthropic.requests().size());
        List<FakeAnthropic.Recorded> aliceAfter =
                after.stream().filter(r -> from("alice", r, aliceNewPid)).toList();
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
        HttpResponse<String> bobSessions = HTTP.send(
                HttpRequest.newBuilder(URI.create(routerUrl + "/s/bob/session"))
                        .header("Authorization", "Bearer " + bobToken)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
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
                assertTrue(
                        sessionPath,
                        "worker " + pid + " of " + session + " used another session's configuration: " + r.path());
                assertEquals(key, r.apiKey(), session + "'s worker sent another credential");
                assertTrue(
                        r.authorization() == null || !r.authorization().contains("sk-"),
                        "no other credential in Authorization");
            } else if (!sessionPath) {
                assertNotEquals(key, r.apiKey(), "another session's worker sent " + session + "'s credential");
            } // else: the same session's earlier or later worker, checked with its own pid and key
        }
    }

    /**
     * From inside the session's worker (opencode's shell endpoint, through the router with the session token): its
     * own HOME is readable (the shell ran), the other session's HOME, the router's admin token, the kubeconfig and
     * the API state (etcd's data) are not there, and no process of local mode is in view.
     */
    private static void assertSandboxed(String session, String token, String ownKey, String otherKey) throws Exception {
        String other = "alice".equals(session) ? "bob" : "alice";
        String adminToken = local.adminToken();
        String apiToken = Files.readAllLines(dataDir.resolve("kubeconfig")).stream()
                .filter(l -> l.contains("token:"))
                .map(l -> l.substring(l.indexOf("token:") + 6).replaceAll("[\\s\"}]", ""))
                .findFirst()
                .orElseThrow();
        String auth = ".local/share/opencode/auth.json";
        String command = String.join(
                "; ",
                "cat " + local.home(session).resolve(auth),
                "cat " + local.home(other).resolve(auth),
                "ls -R " + local.home(other),
                "cat " + dataDir.resolve("admin-token"),
                "cat " + dataDir.resolve("kubeconfig"),
                "ls -R " + dataDir.resolve("control-plane"),
                "ls " + dataDir,
                "cat /proc/" + local.appPid() + "/environ",
                "echo SHELL-DONE");
        String base = routerUrl + "/s/" + session;
        HttpResponse<String> created = local.createOpencodeSession(session, token);
        assertEquals(200, created.statusCode(), created.body());
        String id = io.fabric8.kubernetes.client.utils.Serialization.jsonMapper()
                .readTree(created.body())
                .get("id")
                .asText();
        HttpResponse<String> shell = HTTP.send(
                HttpRequest.newBuilder(URI.create(base + "/session/" + id + "/shell"))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                io.fabric8.kubernetes.client.utils.Serialization.asJson(
                                        Map.of("agent", "build", "command", command))))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        String out = shell.body();
        System.out.println("ISOLATION PROOF (sandbox): " + session + "'s shell ran: " + command);
        assertEquals(200, shell.statusCode(), out);
        assertTrue(out.contains("SHELL-DONE") && out.contains(ownKey), "the shell ran and read its own HOME: " + out);
        assertFalse(out.contains(otherKey), session + "'s shell read " + other + "'s HOME");
        assertFalse(out.contains("opencode.json"), session + "'s shell listed " + other + "'s HOME: " + out);
        assertFalse(out.contains(adminToken), session + "'s shell read the router's admin token");
        assertFalse(out.contains(apiToken), session + "'s shell read the kubeconfig's token");
        assertFalse(
                out.contains("member") || out.contains("sa.key"), session + "'s shell listed the API state: " + out);
        assertFalse(out.contains("COLLAB_ROLE"), session + "'s shell read local mode's environment: " + out);
        // and the files are really there, outside the sandbox
        assertTrue(Files.readString(local.home(other).resolve(auth)).contains(otherKey));
        assertTrue(Files.isDirectory(dataDir.resolve("control-plane/etcd/member")));
    }

    private static boolean from(String session, FakeAnthropic.Recorded r, long pid) {
        return r.from(session, pid);
    }

    private static void createSession(String name, String key) {
        // each session's opencode.json points at its own path prefix: a shared config would show in the path
        String config = "{\"$schema\":\"https://opencode.ai/config.json\",\"autoupdate\":false,\"share\":\"disabled\","
                + "\"provider\":{\"anthropic\":{\"options\":{\"baseURL\":\"http://127.0.0.1:" + anthropic.port() + "/"
                + name
                + "/v1\"}}}}";
        Secret secret = new SecretBuilder()
                .withNewMetadata()
                .withName(name + "-credentials")
                .withNamespace(NS)
                .withLabels(CollabLabels.credentialSecretLabels(name + "@example.com"))
                .endMetadata()
                .addToData("opencode.json", b64(config))
                .addToData("auth.json", b64(authJson(key)))
                .build();
        client.secrets().inNamespace(NS).resource(secret).create();
        CollabSessionSpec spec = Specs.seeded(name + "@example.com", name + "-credentials");
        spec.setEnv(dev.collab.testing.Specs.OFFLINE_OPENCODE);
        client.resources(CollabSession.class)
                .inNamespace(NS)
                .resource(new CollabSession(NS, name, spec))
                .create();
    }

    private static String authJson(String key) {
        return "{\"anthropic\":{\"type\":\"api\",\"key\":\"" + key + "\"}}";
    }

    private static String prompt(String session, String token) throws Exception {
        return local.prompt(session, token);
    }

    private static void awaitConfigInstall(String session) throws InterruptedException {
        local.awaitConfigInstall(session);
    }

    private static String accessToken(String session) {
        return local.accessToken(session);
    }

    private static Long readyPid(String session) {
        return local.readyPid(session);
    }

    private static void printSummary(Map<String, List<Long>> pids) throws IOException {
        String out = "ISOLATION PROOF: credential headers recorded at the fake Anthropic endpoint\n"
                + anthropic.summary(pids);
        System.out.print(out);
        Files.writeString(Path.of("target/isolation-proof/summary.txt"), out);
    }
}

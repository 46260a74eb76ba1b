package dev.collab.local;

import static dev.collab.local.LocalModeRun.NS;
import static dev.collab.local.LocalModeRun.b64;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.ConditionTypes;
import dev.collab.testing.Specs;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The isolation proof for Claude subscriptions (issue 20), with the real opencode: local mode, a fake Anthropic
 * endpoint and a fake Claude OAuth token server on loopback, and a stand-in for the opencode-claude-auth plugin
 * ({@code claude-auth-standin.js}, loaded by path from each session's opencode.json; the real plugin is not on the
 * npm registry CI reaches). Sessions alice and bob each hold a claude-credentials.json; alice's Secret holds an
 * Anthropic API key in auth.json too (the subscription wins, and her status says so). It shows that
 * - each worker sends only its own {@code Authorization: Bearer} and never {@code x-api-key};
 * - alice's expired token is refreshed by her own worker, and the rotated tokens it wrote back into her HOME survive
 *   a worker restart (seed-home keeps them: the Secret did not change), so the used refresh token is never replayed;
 * - a new claude-credentials.json uploaded through the router wins over the written-back tokens and replaces only
 *   alice's worker (bob's keeps its pid and its token).
 *
 * Needs opencode (as {@link IsolationProofIT}); skipped with a message otherwise.
 */
@RealLocalMode
class OAuthIsolationProofIT {
    private static final String ALICE_API_KEY = "sk-alice-0001-api-key-never-sent";
    private static final String ALICE_REFRESH = "ort-alice-0001-do-not-share";
    private static final String ALICE_EXPIRED_ACCESS = "oat-alice-0001-expired";
    private static final String ALICE_UPLOADED_ACCESS = "oat-alice-0009-uploaded";
    private static final String ALICE_UPLOADED_REFRESH = "ort-alice-0009-uploaded";
    private static final String BOB_ACCESS = "oat-bob-0001-do-not-share";
    private static final String BOB_REFRESH = "ort-bob-0001-do-not-share";

    private static FakeAnthropic anthropic;
    private static FakeClaudeOAuth oauth;
    private static LocalModeRun local;
    private static Path plugin;

    @BeforeAll
    static void startLocalMode() throws Exception {
        anthropic = new FakeAnthropic();
        oauth = new FakeClaudeOAuth();
        local = LocalModeRun.start(Path.of("target/oauth-proof"), Map.of());
        // beside the session folders, outside any git work tree; a session image would carry it in the image
        plugin = local.dataDir().resolve("plugins/opencode-claude-auth.js");
        Files.createDirectories(plugin.getParent());
        try (InputStream in = OAuthIsolationProofIT.class.getResourceAsStream("claude-auth-standin.js")) {
            Files.copy(in, plugin);
        }
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
            if (oauth != null) {
                oauth.close();
            }
        }
    }

    @Test
    void eachSessionSendsOnlyItsOwnSubscription() throws Exception {
        long expired = Instant.now().minus(Duration.ofHours(1)).toEpochMilli();
        long valid = Instant.now().plus(Duration.ofHours(8)).toEpochMilli();
        createSession("alice", credentials(ALICE_EXPIRED_ACCESS, ALICE_REFRESH, expired), ALICE_API_KEY);
        createSession("bob", credentials(BOB_ACCESS, BOB_REFRESH, valid), null);
        String aliceToken = LocalModeRun.await("alice's access token", () -> local.accessToken("alice"));
        String bobToken = LocalModeRun.await("bob's access token", () -> local.accessToken("bob"));
        long alicePid = local.worker(LocalModeRun.await("alice Ready", () -> local.readyPid("alice")));
        long bobPid = local.worker(LocalModeRun.await("bob Ready", () -> local.readyPid("bob")));
        assertNotEquals(alicePid, bobPid);

        // both keys in alice's Secret: ready, and the condition names the rule
        assertEquals("SubscriptionReplacesApiKey", credentialsReason("alice"));
        assertEquals("CredentialsFound", credentialsReason("bob"));

        local.prompt("alice", aliceToken);
        local.prompt("bob", bobToken);

        // alice's token had expired: her worker refreshed it, once, and wrote the rotated tokens back into her HOME
        String aliceRotatedAccess = FakeClaudeOAuth.accessAfter(ALICE_REFRESH);
        String aliceRotatedRefresh = FakeClaudeOAuth.refreshAfter(ALICE_REFRESH);
        List<FakeClaudeOAuth.Refresh> refreshes = oauth.refreshes();
        assertEquals(1, refreshes.size(), "one refresh: " + refreshes.size());
        assertEquals(ALICE_REFRESH, refreshes.get(0).refreshToken());
        assertTrue(refreshes.get(0).accepted());
        assertTrue(refreshes.get(0).pid() == alicePid || refreshes.get(0).pid() == -1, "refreshed by alice's worker");
        assertHomeCredentials("alice", aliceRotatedAccess, aliceRotatedRefresh);
        assertHomeCredentials("bob", BOB_ACCESS, BOB_REFRESH);
        assertOnlyOwnBearer("alice", alicePid, aliceRotatedAccess);
        assertOnlyOwnBearer("bob", bobPid, BOB_ACCESS);

        // alice's worker restarts (the pod is deleted; the operator recreates it): the Secret did not change, so
        // seed-home keeps the rotated tokens; seeding the Secret again would replay a used refresh token (400)
        local.awaitConfigInstall("alice");
        local.client().pods().inNamespace(NS).withName("alice").delete();
        long aliceRestarted = local.awaitReplaced("alice", alicePid);
        local.prompt("alice", aliceToken);
        assertEquals(1, oauth.refreshes().size(), "no refresh after the restart: " + oauth.refreshes());
        assertHomeCredentials("alice", aliceRotatedAccess, aliceRotatedRefresh);
        assertOnlyOwnBearer("alice", aliceRestarted, aliceRotatedAccess);

        // a new subscription uploaded for alice through the router: it wins over the written-back tokens
        HttpResponse<String> upload =
                local.adminPut("alice/claude-creds", credentials(ALICE_UPLOADED_ACCESS, ALICE_UPLOADED_REFRESH, valid));
        assertTrue(upload.statusCode() < 300, "upload: " + upload.statusCode() + " " + upload.body());
        long aliceUploaded = local.awaitReplaced("alice", aliceRestarted);
        assertFalse(
                ProcessHandle.of(aliceRestarted).map(ProcessHandle::isAlive).orElse(false),
                "alice's old worker stopped");
        local.prompt("alice", aliceToken);
        local.prompt("bob", bobToken);
        assertHomeCredentials("alice", ALICE_UPLOADED_ACCESS, ALICE_UPLOADED_REFRESH);
        assertOnlyOwnBearer("alice", aliceUploaded, ALICE_UPLOADED_ACCESS);
        assertEquals(bobPid, local.readyPid("bob"), "bob's worker kept running, untouched");
        assertOnlyOwnBearer("bob", bobPid, BOB_ACCESS);
        assertHomeCredentials("bob", BOB_ACCESS, BOB_REFRESH);
        assertEquals(1, oauth.refreshes().size(), "the uploaded token was valid: no refresh");

        String out = "OAUTH ISOLATION PROOF: credential headers recorded at the fake Anthropic endpoint\n"
                + anthropic.summary(
                        Map.of("alice", List.of(alicePid, aliceRestarted, aliceUploaded), "bob", List.of(bobPid)))
                + "  refreshes at the fake token endpoint: "
                + oauth.refreshes().stream()
                        .map(r -> FakeAnthropic.redact(r.refreshToken()) + " pid " + r.pid()
                                + (r.accepted() ? " accepted" : " refused"))
                        .toList()
                + "\n";
        System.out.print(out);
        Files.writeString(local.work().resolve("summary.txt"), out);
    }

    /**
     * Every request from this worker (by process; by the session's base URL when the process could not be told)
     * carried this Bearer token and no x-api-key; no other session's worker ever sent it.
     */
    private static void assertOnlyOwnBearer(String session, long pid, String accessToken) {
        List<FakeAnthropic.Recorded> all = anthropic.requests();
        assertTrue(
                all.stream().anyMatch(r -> r.from(session, pid)),
                session + "'s worker " + pid + " reached the endpoint");
        for (FakeAnthropic.Recorded r : all) {
            boolean sessionPath = r.path().startsWith("/" + session + "/");
            assertNull(r.apiKey(), "no x-api-key on any request (" + r.path() + ")");
            if (r.from(session, pid)) {
                assertTrue(
                        sessionPath,
                        "worker " + pid + " of " + session + " used another session's configuration: " + r.path());
                assertEquals(accessToken, r.bearer(), session + "'s worker sent another credential");
            } else if (!sessionPath) {
                assertNotEquals(accessToken, r.bearer(), "another session's worker sent " + session + "'s token");
            } // else: the same session's earlier or later worker, checked with its own pid and token
        }
    }

    /** The tokens in the session's ~/.claude/.credentials.json (0600) and the oauth entry the plugin wrote to auth.json. */
    private static void assertHomeCredentials(String session, String access, String refresh) throws IOException {
        Path creds = local.home(session).resolve(".claude/.credentials.json");
        JsonNode oauthEntry =
                Serialization.jsonMapper().readTree(creds.toFile()).path("claudeAiOauth");
        assertEquals(access, oauthEntry.path("accessToken").asText(), session + "'s access token in HOME");
        assertEquals(refresh, oauthEntry.path("refreshToken").asText(), session + "'s refresh token in HOME");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(creds)));
        Path auth = local.home(session).resolve(".local/share/opencode/auth.json");
        JsonNode anthropicEntry =
                Serialization.jsonMapper().readTree(auth.toFile()).path("anthropic");
        assertEquals("oauth", anthropicEntry.path("type").asText(), session + "'s auth.json: the plugin's oauth entry");
        assertEquals(access, anthropicEntry.path("access").asText());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(auth)));
    }

    private static String credentialsReason(String session) {
        CollabSession s = local.client()
                .resources(CollabSession.class)
                .inNamespace(NS)
                .withName(session)
                .get();
        return s.getStatus().getConditions().stream()
                .filter(c -> ConditionTypes.CREDENTIALS_READY.equals(c.getType()))
                .map(Condition::getReason)
                .findFirst()
                .orElse(null);
    }

    private static String credentials(String access, String refresh, long expiresAt) {
        return "{\"claudeAiOauth\":{\"accessToken\":\"" + access + "\",\"refreshToken\":\"" + refresh
                + "\",\"expiresAt\":" + expiresAt + ",\"subscriptionType\":\"max\"}}";
    }

    /** The session's Secret: opencode.json (the plugin by path, its own base URL), claude-credentials.json, maybe auth.json. */
    private static void createSession(String name, String claudeCredentials, String apiKey) {
        String config = "{\"$schema\":\"https://opencode.ai/config.json\",\"autoupdate\":false,\"share\":\"disabled\","
                + "\"plugin\":[\"" + plugin.toUri() + "\"],"
                + "\"provider\":{\"anthropic\":{\"options\":{\"baseURL\":\"http://127.0.0.1:" + anthropic.port() + "/"
                + name
                + "/v1\"}}}}";
        SecretBuilder secret = new SecretBuilder()
                .withNewMetadata()
                .withName(name + "-credentials")
                .withNamespace(NS)
                .withLabels(CollabLabels.credentialSecretLabels(name + "@example.com"))
                .endMetadata()
                .addToData("opencode.json", b64(config))
                .addToData("claude-credentials.json", b64(claudeCredentials));
        if (apiKey != null) {
            secret.addToData("auth.json", b64("{\"anthropic\":{\"type\":\"api\",\"key\":\"" + apiKey + "\"}}"));
        }
        local.client().secrets().inNamespace(NS).resource(secret.build()).create();
        CollabSessionSpec spec = Specs.seeded(name + "@example.com", name + "-credentials");
        // offline like the fake endpoints; the stand-in's token endpoint is the fake one (the real plugin's is fixed)
        spec.setEnv(List.of(
                new EnvVar("OPENCODE_DISABLE_MODELS_FETCH", "true", null),
                new EnvVar("OPENCODE_DISABLE_AUTOUPDATE", "true", null),
                new EnvVar("CLAUDE_AUTH_STANDIN_TOKEN_URL", oauth.tokenUrl(), null)));
        local.client()
                .resources(CollabSession.class)
                .inNamespace(NS)
                .resource(new CollabSession(NS, name, spec))
                .create();
    }
}

package dev.collab.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.Placeholders;
import dev.collab.api.SessionUsage;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The isolation proof in Gateway mode (issue 14), with the real opencode: local mode (LocalModeRun: embedded API,
 * operator, router, local node and the credential gateway in one JVM), the fake Anthropic endpoint on loopback as
 * the gateway's provider, two sessions alice (api key) and bob (api key, plus an OAuth access token) in Gateway mode.
 * The endpoint records every request with its body: a prompt names its session, so "alice's request" means "a
 * request carrying alice's prompt", not an inference from the key.
 *
 * Local mode has one address for every worker (127.0.0.1), so the gateway's pod-IP check cannot tell two local
 * sessions apart; CredentialGatewayTest covers it. Needs opencode like IsolationProofIT; skipped with a message
 * otherwise.
 */
@RealLocalMode
class GatewayIsolationProofIT {
    private static final String NS = LocalModeRun.NS;
    private static final String ALICE_KEY = "sk-alice-gw-0001-real";
    private static final String ALICE_NEW_KEY = "sk-alice-gw-0002-uploaded";
    private static final String BOB_KEY = "sk-bob-gw-0001-real";
    private static final String BOB_ACCESS = "sk-ant-oat-bob-gw-real";
    private static final List<String> REAL = List.of(ALICE_KEY, ALICE_NEW_KEY, BOB_KEY, BOB_ACCESS);

    private static FakeAnthropic anthropic;
    private static LocalModeRun app;

    @BeforeAll
    static void startLocalMode() throws Exception {
        anthropic = new FakeAnthropic();
        app = LocalModeRun.start(
                Path.of("target/gateway-proof"),
                Map.of(
                        "COLLAB_GATEWAY_UPSTREAM",
                        "http://127.0.0.1:" + anthropic.port() + "/provider",
                        "COLLAB_GATEWAY_USAGE_FLUSH_INTERVAL",
                        "1s",
                        // the fake provider's model "fake" gets a price (issue 25): $3 in, $15 out per million
                        "COLLAB_GATEWAY_PRICES__FAKE__INPUT",
                        "3",
                        "COLLAB_GATEWAY_PRICES__FAKE__OUTPUT",
                        "15",
                        "COLLAB_GATEWAY_PRICES__FAKE__CACHE_READ",
                        "0.30",
                        "COLLAB_GATEWAY_PRICES__FAKE__CACHE_WRITE",
                        "3.75"));
    }

    @AfterAll
    static void stopLocalMode() throws Exception {
        try {
            if (app != null) {
                app.stop(List.of("alice", "bob"));
            }
        } finally {
            if (anthropic != null) {
                anthropic.close();
            }
        }
    }

    @Test
    void realKeysStayWithTheGateway() throws Exception {
        KubernetesClient client = app.client();
        createSession("alice", Map.of("auth.json", apiKeyAuth(ALICE_KEY)));
        createSession(
                "bob",
                Map.of(
                        "auth.json",
                        apiKeyAuth(BOB_KEY),
                        "claude-credentials.json",
                        "{\"claudeAiOauth\":{\"accessToken\":\"" + BOB_ACCESS
                                + "\",\"refreshToken\":\"sk-ant-ort-bob-gw\","
                                + "\"expiresAt\":4102444800000,\"scopes\":[\"user:inference\"]}}"));
        String aliceToken = LocalModeRun.await("alice's access token", () -> app.accessToken("alice"));
        String bobToken = LocalModeRun.await("bob's access token", () -> app.accessToken("bob"));
        long alicePid = app.worker(LocalModeRun.await("alice Ready", () -> app.readyPid("alice")));
        long bobPid = app.worker(LocalModeRun.await("bob Ready", () -> app.readyPid("bob")));

        // the pod specs reference no Secret with a real credential
        for (String s : List.of("alice", "bob")) {
            Pod pod = client.pods().inNamespace(NS).withName(s).get();
            String spec = Serialization.asJson(pod.getSpec());
            assertFalse(spec.contains(s + "-credentials"), s + "'s pod references the credential Secret");
        }

        app.prompt("alice", aliceToken);
        app.prompt("bob", bobToken);

        // at the provider: alice's prompts carried alice's key only, bob's bob's, all sent by the gateway
        assertOwnKeyOnly("alice", ALICE_KEY);
        assertOwnKeyOnly("bob", BOB_KEY);
        for (FakeAnthropic.Recorded r : anthropic.requests()) {
            assertTrue(r.path().startsWith("/provider/v1/"), "through the gateway: " + r.path());
            assertTrue(
                    r.pid() == -1 || r.pid() == app.appPid(),
                    "a worker reached the provider directly (pid " + r.pid() + ")");
        }

        // neither HOME, nor the worker's mounted Secrets, nor its environment hold a real key
        for (String s : List.of("alice", "bob")) {
            assertNoRealKeyUnder(app.dataDir().resolve("sessions").resolve(s));
        }
        for (long pid : List.of(alicePid, bobPid)) {
            LocalModeRun.environ(pid).ifPresent(env -> {
                assertEquals(app.routerUrl() + "/v1", env.get("ANTHROPIC_BASE_URL"));
                env.forEach((k, v) -> REAL.forEach(key -> assertFalse(v.contains(key), "worker environment " + k)));
            });
        }

        // what an agent or a participant reads through the router: the placeholder, never the key
        String alicePlaceholder = placeholderIn(app.home("alice").resolve(".local/share/opencode/auth.json"));
        assertReadsOnlyPlaceholder("alice", aliceToken, alicePlaceholder);

        // the gateway refuses what is not a live session's placeholder
        byte[] gatewayKey = Placeholders.keyFrom(
                client.secrets().inNamespace(NS).withName("collab-gateway-key").get());
        assertTrue(gatewayKey != null, "the operator created the gateway key");
        assertEquals(403, gateway("x-api-key", Placeholders.PREFIX + "forged").statusCode());
        assertEquals(
                403,
                gateway("x-api-key", Placeholders.access(gatewayKey, NS, "alice", "uid-of-an-earlier-alice"))
                        .statusCode());
        assertEquals(403, gateway("x-api-key", ALICE_KEY).statusCode());
        assertEquals(401, gateway("x-test", "no credential").statusCode());

        // the OAuth path (what the stand-in plugin sends): a Bearer placeholder becomes bob's real access token
        String bobBearer = placeholderIn(app.home("bob").resolve(".claude/.credentials.json"));
        int before = anthropic.requests().size();
        assertEquals(200, gateway("authorization", "Bearer " + bobBearer).statusCode());
        FakeAnthropic.Recorded swapped = anthropic.requests().get(before);
        assertEquals("Bearer " + BOB_ACCESS, swapped.authorization());
        assertEquals(null, swapped.apiKey());

        // a new key uploaded through the router is used on the next request, by the same worker process
        HttpResponse<String> upload = app.adminPut("alice/credentials/auth.json", apiKeyAuth(ALICE_NEW_KEY));
        assertTrue(upload.statusCode() < 300, "upload: " + upload.statusCode() + " " + upload.body());
        LocalModeRun.await("the gateway sees the upload", () -> {
            int n = anthropic.requests().size();
            try {
                gateway("x-api-key", alicePlaceholder);
            } catch (Exception e) {
                return null;
            }
            return ALICE_NEW_KEY.equals(anthropic.requests().get(n).apiKey()) ? true : null;
        });
        int afterUpload = anthropic.requests().size();
        app.prompt("alice", aliceToken);
        assertEquals(alicePid, app.readyPid("alice"), "alice's worker kept running: no restart for a new key");
        List<FakeAnthropic.Recorded> next =
                anthropic.requests().subList(afterUpload, anthropic.requests().size()).stream()
                        .filter(r -> r.mentions(promptText("alice")))
                        .toList();
        assertFalse(next.isEmpty(), "alice's next prompt reached the provider");
        next.forEach(r -> assertEquals(ALICE_NEW_KEY, r.apiKey()));

        // usage in status equals what the provider served each session
        assertUsage("alice", r -> ALICE_KEY.equals(r.apiKey()) || ALICE_NEW_KEY.equals(r.apiKey()));
        assertUsage("bob", r -> BOB_KEY.equals(r.apiKey()) || ("Bearer " + BOB_ACCESS).equals(r.authorization()));
        // and the app logged neither a key nor a placeholder
        String log = Files.readString(app.work().resolve("collab.log"));
        REAL.forEach(key -> assertFalse(log.contains(key), "the log shows a real key"));
        assertFalse(log.contains(Placeholders.PREFIX), "the log shows a placeholder");
        System.out.println("GATEWAY PROOF: " + anthropic.requests().size()
                + " provider requests, all with the owner's real " + "key added by the gateway; workers " + alicePid
                + " and " + bobPid + " held placeholders only");
    }

    private static void createSession(String name, Map<String, String> files) {
        // the Secret's own baseURL is ignored in Gateway mode: the gateway decides where the key goes
        String config = "{\"$schema\":\"https://opencode.ai/config.json\",\"autoupdate\":false,\"share\":\"disabled\","
                + "\"provider\":{\"anthropic\":{\"options\":{\"baseURL\":\"http://127.0.0.1:" + anthropic.port()
                + "/direct/v1\"}}}}";
        SecretBuilder secret = new SecretBuilder()
                .withNewMetadata()
                .withName(name + "-credentials")
                .withNamespace(NS)
                .withLabels(CollabLabels.credentialSecretLabels(name + "@example.com"))
                .endMetadata()
                .addToData("opencode.json", LocalModeRun.b64(config));
        files.forEach((k, v) -> secret.addToData(k, LocalModeRun.b64(v)));
        app.client().secrets().inNamespace(NS).resource(secret.build()).create();
        CollabSessionSpec spec = dev.collab.testing.Specs.offlineGateway(name + "@example.com", name + "-credentials");
        app.client()
                .resources(CollabSession.class)
                .inNamespace(NS)
                .resource(new CollabSession(NS, name, spec))
                .create();
    }

    /** What LocalModeRun.prompt sends: the provider sees it in the request body of this session's prompts. */
    private static String promptText(String session) {
        return "Say hello to " + session;
    }

    private static String apiKeyAuth(String key) {
        return "{\"anthropic\":{\"type\":\"api\",\"key\":\"" + key + "\"}}";
    }

    /** Every request that carries this session's prompt carried this key, and only this session's do. */
    private static void assertOwnKeyOnly(String session, String key) {
        String mine = promptText(session);
        List<FakeAnthropic.Recorded> own =
                anthropic.requests().stream().filter(r -> r.mentions(mine)).toList();
        assertFalse(own.isEmpty(), session + "'s prompt reached the provider");
        own.forEach(r -> assertEquals(key, r.apiKey(), session + "'s request carried another credential"));
        anthropic.requests().stream()
                .filter(r -> !r.mentions(mine))
                .forEach(r -> assertFalse(key.equals(r.apiKey()), "another request carried " + session + "'s key"));
    }

    private static void assertNoRealKeyUnder(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.filter(Files::isRegularFile).forEach(files::add);
        }
        assertTrue(files.stream().anyMatch(f -> f.endsWith("auth.json")), "the tree under " + dir + " was seeded");
        for (Path f : files) {
            String content;
            try {
                if (Files.size(f) > 64L * 1024 * 1024) {
                    continue; // opencode's SQLite WAL and node_modules blobs are scanned too, up to this size
                }
                content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
            } catch (java.nio.file.NoSuchFileException gone) {
                continue; // a temp file the running worker removed meanwhile (npm's cache)
            }
            REAL.forEach(key -> assertFalse(content.contains(key), f + " holds a real credential"));
        }
    }

    /** The placeholder in a seeded credential file (the first value that starts with the prefix). */
    private static String placeholderIn(Path file) throws IOException {
        String content = Files.readString(file);
        int at = content.indexOf(Placeholders.PREFIX);
        assertTrue(at >= 0, file + " holds a placeholder");
        return content.substring(at, content.indexOf('"', at));
    }

    /** The file API and the shell of opencode, through the router with the session token, show the placeholder only. */
    private static void assertReadsOnlyPlaceholder(String session, String token, String placeholder) throws Exception {
        String base = app.routerUrl() + "/s/" + session;
        String authPath =
                app.home(session).resolve(".local/share/opencode/auth.json").toString();
        HttpResponse<String> file = LocalModeRun.HTTP.send(
                HttpRequest.newBuilder(URI.create(
                                base + "/file/content?path=" + URLEncoder.encode(authPath, StandardCharsets.UTF_8)))
                        .header("Authorization", "Bearer " + token)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> created = app.createOpencodeSession(session, token);
        String id =
                Serialization.jsonMapper().readTree(created.body()).get("id").asText();
        HttpResponse<String> shell = LocalModeRun.HTTP.send(
                HttpRequest.newBuilder(URI.create(base + "/session/" + id + "/shell"))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"agent\":\"build\",\"command\":\"cat " + authPath + "\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        // the other key-read routes of the hostile review (issue 14): whatever the router lets through, no real key
        List<HttpResponse<String>> reads = new ArrayList<>(List.of(file, shell));
        for (String path : List.of(
                "/provider",
                "/global/config",
                "/config",
                "/config/providers",
                "/CONFIG/providers",
                "/api/fs/read?path=" + URLEncoder.encode(authPath, StandardCharsets.UTF_8))) {
            reads.add(LocalModeRun.HTTP.send(
                    HttpRequest.newBuilder(URI.create(base + path))
                            .header("Authorization", "Bearer " + token)
                            .build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        System.out.println("GATEWAY PROOF: key-read routes answered "
                + reads.stream()
                        .map(r -> r.uri().getPath() + "=" + r.statusCode())
                        .toList());
        for (HttpResponse<String> r : reads) {
            REAL.forEach(key -> assertFalse(r.body().contains(key), r.uri() + " showed a real key"));
        }
        assertTrue(
                shell.statusCode() == 200 && shell.body().contains(placeholder),
                "the shell read auth.json: " + shell.body());
        assertTrue(file.statusCode() != 200 || file.body().contains(placeholder), "the file API: " + file.body());
    }

    private static HttpResponse<String> gateway(String header, String value) throws Exception {
        return LocalModeRun.HTTP.send(
                HttpRequest.newBuilder(URI.create(app.routerUrl() + "/v1/messages"))
                        .header(header, value)
                        .header("anthropic-version", "2023-06-01")
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":16,\"stream\":true,"
                                        + "\"messages\":[{\"role\":\"user\",\"content\":\"direct\"}]}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void assertUsage(String session, Predicate<FakeAnthropic.Recorded> served)
            throws InterruptedException {
        long requests = anthropic.requests().stream()
                .filter(r -> r.path().endsWith("/messages"))
                .filter(served)
                .count();
        SessionUsage usage = LocalModeRun.await(session + "'s usage in status", () -> {
            CollabSession cs = app.client()
                    .resources(CollabSession.class)
                    .inNamespace(NS)
                    .withName(session)
                    .get();
            SessionUsage u = cs.getStatus() == null ? null : cs.getStatus().getUsage();
            return u != null && u.getRequests() == requests ? u : null;
        });
        assertEquals(requests * FakeAnthropic.INPUT_TOKENS, usage.getInputTokens(), session + " input tokens");
        assertEquals(requests * FakeAnthropic.OUTPUT_TOKENS, usage.getOutputTokens(), session + " output tokens");
        // each completion: 5 input x $3 + 8 output x $15 per million tokens = $0.000135
        BigDecimal cost = ONE_COMPLETION_USD.multiply(BigDecimal.valueOf(requests));
        assertEquals(0, cost.compareTo(usage.getCostUSD()), session + " costUSD " + usage.getCostUSD());
        double counted = LocalModeRun.await(session + "'s owner's cost in /q/metrics", () -> {
            double c = costMetric(session + "@example.com");
            return Math.abs(c - cost.doubleValue()) < 1e-12 ? c : null;
        });
        assertEquals(cost.doubleValue(), counted, 1e-12);
    }

    private static final BigDecimal ONE_COMPLETION_USD = new BigDecimal("0.000135");

    /** collab_gateway_cost_usd_total of that owner and model "fake", as Prometheus would scrape it. */
    private static double costMetric(String owner) {
        try {
            String label = "owner=\"" + CollabLabels.ownerLabelValue(owner) + "\"";
            String text = LocalModeRun.HTTP
                    .send(
                            HttpRequest.newBuilder(URI.create(app.routerUrl() + "/q/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            return text.lines()
                    .filter(l -> l.startsWith("collab_gateway_cost_usd_total{")
                            && l.contains(label)
                            && l.contains("model=\"fake\""))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                    .sum();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

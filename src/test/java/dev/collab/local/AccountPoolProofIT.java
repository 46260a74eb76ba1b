package dev.collab.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.collab.api.AccountStatus;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 15 with the real opencode: local mode (LocalModeRun: embedded API, operator, router, local node and the
 * credential gateway in one JVM), the fake Anthropic endpoint on loopback as the provider (it answers 429 with
 * retry-after for an account the test rate limits), one Gateway-mode session whose credential Secret holds a pool
 * of two api-key accounts (accounts.json). The session keeps answering while its first account is rate limited,
 * and the collab app sees the cooldown in GET /collab/session/{s}. Needs opencode like IsolationProofIT.
 */
@RealLocalMode
class AccountPoolProofIT {
    private static final String NS = LocalModeRun.NS;
    private static final String FIRST = "sk-pool-first-0001-real";
    private static final String SECOND = "sk-pool-second-0001-real";

    private static FakeAnthropic anthropic;
    private static LocalModeRun app;

    @BeforeAll
    static void startLocalMode() throws Exception {
        anthropic = new FakeAnthropic();
        app = LocalModeRun.start(
                Path.of("target/account-pool-proof"),
                Map.of(
                        "COLLAB_GATEWAY_UPSTREAM",
                        "http://127.0.0.1:" + anthropic.port() + "/provider",
                        "COLLAB_GATEWAY_USAGE_FLUSH_INTERVAL",
                        "1s"));
    }

    @AfterAll
    static void stopLocalMode() throws Exception {
        try {
            if (app != null) {
                app.stop(List.of("carol"));
            }
        } finally {
            if (anthropic != null) {
                anthropic.close();
            }
        }
    }

    @Test
    void aSessionKeepsAnsweringWhileItsFirstAccountIsRateLimited() throws Exception {
        createSession();
        String token = LocalModeRun.await("carol's access token", () -> app.accessToken("carol"));
        LocalModeRun.await("carol Ready", () -> app.readyPid("carol"));

        app.prompt("carol", token);
        List<FakeAnthropic.Recorded> before = mine();
        assertFalse(before.isEmpty(), "carol's prompt reached the provider");
        before.forEach(r -> assertEquals(FIRST, r.apiKey(), "a working pool stays on its first account"));

        anthropic.rateLimit(FIRST);
        int seen = anthropic.requests().size();
        app.prompt("carol", token); // asserts opencode answered with the fake completion
        List<FakeAnthropic.Recorded> after = anthropic
                .requests()
                .subList(seen, anthropic.requests().size())
                .stream()
                .filter(r -> r.mentions("Say hello to carol"))
                .toList();
        assertTrue(after.stream().anyMatch(r -> FIRST.equals(r.apiKey())), "the first account was tried: " + after);
        assertTrue(after.stream().anyMatch(r -> SECOND.equals(r.apiKey())), "the second account answered: " + after);
        assertEquals(SECOND, after.get(after.size() - 1).apiKey(), "the last attempt went to the second account");

        JsonNode status = LocalModeRun.await("the cooldown in GET /collab/session/carol", () -> {
            JsonNode s = sessionApi(token);
            return s.path("accounts").toString().contains(AccountStatus.COOLING_DOWN) ? s : null;
        });
        JsonNode first = status.path("accounts").get(0);
        assertEquals("first", first.path("name").asText());
        assertEquals(AccountStatus.COOLING_DOWN, first.path("state").asText());
        assertEquals("second", status.path("accounts").get(1).path("name").asText());
        assertFalse(status.toString().contains("sk-pool"), "no key in the session API");
        System.out.println("AccountPoolProofIT: first account rate limited, carol answered through account "
                + after.get(after.size() - 1).apiKey().substring(0, 15) + "…; status.accounts "
                + status.path("accounts"));
    }

    private static List<FakeAnthropic.Recorded> mine() {
        return anthropic.requests().stream()
                .filter(r -> r.mentions("Say hello to carol"))
                .toList();
    }

    private static JsonNode sessionApi(String token) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(app.routerUrl() + "/collab/session/carol"))
                                    .header("Authorization", "Bearer " + token)
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? Serialization.jsonMapper().readTree(r.body()) : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static void createSession() {
        String config = "{\"$schema\":\"https://opencode.ai/config.json\",\"autoupdate\":false,\"share\":\"disabled\"}";
        String accounts = "{\"accounts\":[{\"name\":\"first\",\"type\":\"api\",\"key\":\"" + FIRST + "\"},"
                + "{\"name\":\"second\",\"type\":\"api\",\"key\":\"" + SECOND + "\"}]}";
        app.client()
                .secrets()
                .inNamespace(NS)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("carol-credentials")
                        .withNamespace(NS)
                        .withLabels(CollabLabels.credentialSecretLabels("carol@example.com"))
                        .endMetadata()
                        .addToData("opencode.json", LocalModeRun.b64(config))
                        .addToData("accounts.json", LocalModeRun.b64(accounts))
                        .build())
                .create();
        CollabSessionSpec spec = dev.collab.testing.Specs.offlineGateway("carol@example.com", "carol-credentials");
        app.client()
                .resources(CollabSession.class)
                .inNamespace(NS)
                .resource(new CollabSession(NS, "carol", spec))
                .create();
    }
}

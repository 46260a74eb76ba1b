package dev.collab.gateway;

import static dev.collab.gateway.PoolGatewayFixture.NS;
import static dev.collab.gateway.PoolGatewayFixture.await;
import static dev.collab.gateway.PoolGatewayFixture.twoApiKeys;
import static dev.collab.gateway.ScriptedAnthropic.rateLimited;
import static dev.collab.gateway.ScriptedAnthropic.rateLimitedInStream;
import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.AccountStatus;
import dev.collab.api.CollabSession;
import dev.collab.api.DailyBudget;
import dev.collab.api.EventReasons;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rotation and budgets of a two-account pool (api keys first-x, second-x), through {@link PoolGatewayFixture}: the
 * Fabric8 mock API server, two gateway replicas and {@link ScriptedAnthropic} (the faked provider, scripted per key).
 */
@EnableKubernetesMockClient(crud = true)
class AccountPoolGatewayTest {
    static KubernetesMockServer server;
    static KubernetesClient client;
    private static PoolGatewayFixture f;

    @BeforeAll
    static void start() throws Exception {
        Map<String, String> sessions = new LinkedHashMap<>();
        for (String s : List.of("rotation", "instream", "cooling", "burst", "budget")) {
            sessions.put(s, twoApiKeys(s));
        }
        f = new PoolGatewayFixture(server, client, sessions);
    }

    @AfterAll
    static void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void a429MovesTheRequestToTheNextAccountUntilTheFirstResets() {
        f.provider.script("first-rotation", rateLimited(120));
        HttpResponse<String> r = f.send(0, "rotation");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains(ScriptedAnthropic.TEXT).doesNotContain("rate_limit_error");
        assertThat(f.callsOf("rotation")).containsExactly("first-rotation", "second-rotation");
        assertThat(f.send(0, "rotation").statusCode()).isEqualTo(200);
        assertThat(f.callsOf("rotation"))
                .as("cooling down: not asked again")
                .endsWith("second-rotation", "second-rotation");
        await(
                "the cooldown is published on the Secret",
                () -> f.state("rotation", "first").equals(AccountStatus.COOLING_DOWN));
        assertThat(f.send(1, "rotation").statusCode()).isEqualTo(200);
        assertThat(f.callsOf("rotation"))
                .as("the other replica respects the published cooldown")
                .endsWith("second-rotation", "second-rotation", "second-rotation");
        f.clock.advance(Duration.ofSeconds(121));
        assertThat(f.send(0, "rotation").statusCode()).isEqualTo(200);
        assertThat(f.callsOf("rotation"))
                .as("after its reset the first account is used again")
                .endsWith("first-rotation");
    }

    @Test
    void aRateLimitErrorInsideA200StreamBeforeContentIsRetriedUnseen() {
        f.provider.script("first-instream", rateLimitedInStream());
        HttpResponse<String> r = f.send(0, "instream");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains(ScriptedAnthropic.TEXT).doesNotContain("rate_limit_error");
        assertThat(r.body().split("event: message_start", -1))
                .as("one clean answer")
                .hasSize(2);
        assertThat(f.callsOf("instream")).containsExactly("first-instream", "second-instream");
    }

    @Test
    void everyAccountCoolingDownGives429WithTheEarliestReset() {
        f.provider.script("first-cooling", rateLimited(600));
        f.provider.script("second-cooling", rateLimited(300));
        Instant now = f.clock.instant();
        assertThat(f.send(0, "cooling").statusCode())
                .as("the last provider answer passes through")
                .isEqualTo(429);
        int calls = f.callsOf("cooling").size();
        HttpResponse<String> r = f.send(0, "cooling");
        assertThat(r.statusCode()).isEqualTo(429);
        JsonObject error = new JsonObject(r.body()).getJsonObject("error");
        assertThat(error.getString("type")).isEqualTo("rate_limit_error");
        assertThat(Instant.parse(error.getString("reset_at"))).isEqualTo(now.plusSeconds(300));
        assertThat(r.headers().firstValue("retry-after")).hasValue("301");
        assertThat(f.callsOf("cooling")).as("the provider is not asked").hasSize(calls);
    }

    @Test
    void aShortBurstPassesThroughWithoutRotating() {
        f.provider.script("first-burst", rateLimited(2));
        HttpResponse<String> r = f.send(0, "burst");
        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(r.headers().firstValue("retry-after")).hasValue("2");
        assertThat(f.send(0, "burst").statusCode()).isEqualTo(200);
        assertThat(f.callsOf("burst")).containsExactly("first-burst", "first-burst");
    }

    @Test
    void anExhaustedDailyBudgetGives429AndAnEvent() {
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace(NS)
                .withName("budget")
                .get();
        cs.getSpec().getCredentials().setBudget(new DailyBudget(null, 1L));
        client.resource(cs).update();
        await("the gateway sees the budget", () -> {
            f.send(0, "budget");
            return f.send(0, "budget").statusCode() == 429;
        });
        HttpResponse<String> r = f.send(0, "budget");
        assertThat(r.statusCode()).isEqualTo(429);
        JsonObject error = new JsonObject(r.body()).getJsonObject("error");
        assertThat(error.getString("message")).contains("daily request budget of 1 requests");
        assertThat(Instant.parse(error.getString("reset_at"))).isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));
        await(
                "a BudgetExhausted Event",
                () -> client.v1().events().inNamespace(NS).list().getItems().stream()
                        .anyMatch(e -> EventReasons.BUDGET_EXHAUSTED.equals(e.getReason())
                                && "budget".equals(e.getInvolvedObject().getName())));
    }
}

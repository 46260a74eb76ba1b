package dev.collab.gateway;

import static dev.collab.gateway.PoolGatewayFixture.NS;
import static dev.collab.gateway.PoolGatewayFixture.await;
import static dev.collab.gateway.PoolGatewayFixture.twoApiKeys;
import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.DailyBudget;
import dev.collab.api.SessionUsage;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cost per owner and model through {@link PoolGatewayFixture} (Fabric8 mock API server, two gateway replicas) and
 * {@link ScriptedAnthropic}, the faked provider: each completion reports model "m", 5 input and 8 output tokens.
 * Replica 0 prices "m" at $3 in / $15 out per million (a configured price), so one completion costs
 * 5 x 3 + 8 x 15 = 135 micro-USD; replica 1 ships the defaults only, where "m" has no price.
 */
@EnableKubernetesMockClient(crud = true)
class CostGatewayTest {
    static final BigDecimal ONE_COMPLETION = new BigDecimal("0.000135");
    static KubernetesMockServer server;
    static KubernetesClient client;
    private static PoolGatewayFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = new PoolGatewayFixture(
                server,
                client,
                Map.of("priced", twoApiKeys("priced"), "unpriced", twoApiKeys("unpriced")),
                (replica, settings) -> replica == 0
                        ? settings.withPrices(
                                PriceTable.withOverrides(Map.of("m", PriceTable.Price.of("3", "15", "0.30", "3.75"))))
                        : settings);
    }

    @AfterAll
    static void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void aPricedCompletionAddsItsCostToTheCounterAndToStatusUsage() {
        double before = cost(f.registries.get(0));
        assertThat(f.send(0, "priced").statusCode()).isEqualTo(200);
        assertThat(f.send(0, "priced").statusCode()).isEqualTo(200);
        // the gateway counts a response after its last byte went out: the client can be a moment earlier
        await("both completions counted", () -> cost(f.registries.get(0)) - before > 0.0002);
        assertThat(cost(f.registries.get(0)) - before).isCloseTo(0.00027, Offset.offset(1e-12));
        f.flushUsage(0);
        SessionUsage usage = status("priced");
        assertThat(usage.getRequests()).isEqualTo(2);
        assertThat(usage.getCostUSD()).isEqualByComparingTo(ONE_COMPLETION.multiply(BigDecimal.valueOf(2)));
    }

    @Test
    void anUnpricedModelCountsItsTokensAndCostsNothing() {
        assertThat(f.send(1, "unpriced").statusCode()).isEqualTo(200);
        MeterRegistry r = f.registries.get(1);
        await("the completion counted", () -> unpriced(r) > 0);
        assertThat(unpriced(r)).isEqualTo(13.0);
        assertThat(cost(r)).isZero();
        f.flushUsage(1);
        assertThat(status("unpriced").getCostUSD()).isEqualByComparingTo("0");
    }

    @Test
    void aUsedUpUsdBudgetGives429WithResetAt() {
        // a new UTC day for the owner's budget: what other tests spent stays on the day before
        f.clock.advance(Duration.ofDays(1));
        f.session("budgeted", twoApiKeys("budgeted"), spec -> {
            DailyBudget budget = new DailyBudget();
            budget.setUsd(new BigDecimal("0.0002")); // more than one completion, less than two
            spec.getCredentials().setBudget(budget);
        });
        await("replica 0 knows the budgeted session", () -> f.sessionsSeenBy(0) == 3);
        double before = cost(f.registries.get(0));
        assertThat(f.send(0, "budgeted").statusCode()).isEqualTo(200);
        assertThat(f.send(0, "budgeted").statusCode()).isEqualTo(200);
        await("both completions counted", () -> cost(f.registries.get(0)) - before > 0.0002);
        HttpResponse<String> refused = f.send(0, "budgeted");
        assertThat(refused.statusCode()).isEqualTo(429);
        JsonObject error = new JsonObject(refused.body()).getJsonObject("error");
        assertThat(error.getString("type")).isEqualTo("rate_limit_error");
        assertThat(error.getString("message"))
                .contains("daily cost budget of 0.0002 USD")
                .contains("used 0.0003");
        Instant midnight = f.clock
                .instant()
                .atZone(java.time.ZoneOffset.UTC)
                .toLocalDate()
                .plusDays(1)
                .atStartOfDay(java.time.ZoneOffset.UTC)
                .toInstant();
        assertThat(Instant.parse(error.getString("reset_at"))).isEqualTo(midnight);
        assertThat(refused.headers().firstValue("retry-after")).isPresent();
    }

    private static double cost(MeterRegistry registry) {
        Counter c = registry.find("collab.gateway.cost.usd")
                .tag("namespace", NS)
                .tag("owner", CollabLabels.ownerLabelValue(PoolGatewayFixture.OWNER))
                .tag("model", "m")
                .counter();
        return c == null ? 0 : c.count();
    }

    private static double unpriced(MeterRegistry registry) {
        Counter c = registry.find("collab.gateway.unpriced.tokens")
                .tag("namespace", NS)
                .tag("owner", CollabLabels.ownerLabelValue(PoolGatewayFixture.OWNER))
                .tag("model", "m")
                .counter();
        return c == null ? 0 : c.count();
    }

    private static SessionUsage status(String session) {
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace(NS)
                .withName(session)
                .get();
        return cs.getStatus().getUsage();
    }
}

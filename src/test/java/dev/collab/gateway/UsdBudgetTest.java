package dev.collab.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.DailyBudget;
import java.math.BigDecimal;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The USD budget of {@link Budgets}: plain calls, time passed in. */
class UsdBudgetTest {
    private static final Instant NOON = Instant.parse("2026-12-05T12:00:00Z");
    private static final long ONE_CENT = 10_000_000L; // nano-USD

    private static GatewayDirectory.Target target(DailyBudget budget) {
        return new GatewayDirectory.Target("team", "s", "ann", "s-creds", null, budget);
    }

    private static DailyBudget usd(String amount) {
        DailyBudget b = new DailyBudget();
        b.setUsd(new BigDecimal(amount));
        return b;
    }

    @Test
    void theConfiguredDailyUsdRefusesOnceTheOwnerSpentIt() {
        Budgets budgets = new Budgets(GatewaySettings.Pools.defaults().withDailyUsd(new BigDecimal("0.02")));
        budgets.add("ann", null, ONE_CENT, NOON);
        assertThat(budgets.check(target(null), NOON)).isNull();
        budgets.add("ann", null, ONE_CENT, NOON);
        Budgets.Refusal refusal = budgets.check(target(null), NOON);
        assertThat(refusal).isNotNull();
        assertThat(refusal.message()).contains("daily cost budget of 0.02 USD (used 0.0200)");
        assertThat(refusal.resetsAt()).isEqualTo(Instant.parse("2026-12-06T00:00:00Z"));
        assertThat(refusal.first()).isTrue();
        assertThat(budgets.check(target(null), NOON).first()).isFalse();
        // a new UTC day starts from 0
        assertThat(budgets.check(target(null), Instant.parse("2026-12-06T00:00:01Z")))
                .isNull();
    }

    @Test
    void theSessionsBudgetReplacesTheConfiguredOneAndZeroMeansNone() {
        Budgets budgets = new Budgets(GatewaySettings.Pools.defaults().withDailyUsd(new BigDecimal("100")));
        budgets.add("ann", null, 5 * ONE_CENT, NOON);
        assertThat(budgets.check(target(null), NOON)).isNull();
        assertThat(budgets.check(target(usd("0.05")), NOON)).isNotNull();
        assertThat(budgets.check(target(usd("0")), NOON)).isNull();
        assertThat(new Budgets(GatewaySettings.Pools.defaults()).check(target(null), NOON))
                .isNull();
    }
}

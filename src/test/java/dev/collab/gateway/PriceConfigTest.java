package dev.collab.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.config.CollabConfig;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.math.BigDecimal;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** collab.gateway.prices and daily-usd as the app reads them: properties, and environment variables as Kubernetes sets them. */
class PriceConfigTest {
    /** The only value a default refers to (collab.local.data-dir), as CollabConfig.defaults() gives it. */
    private static final PropertiesConfigSource HOME =
            new PropertiesConfigSource(Map.of("user.home", System.getProperty("user.home")), "home", 100);

    @Test
    void nothingConfiguredGivesTheShippedPricesAndNoUsdBudget() {
        GatewaySettings s = GatewaySettings.from(CollabConfig.defaults(), "collab-system", "127.0.0.1");
        assertThat(s.prices().lookup("claude-sonnet-4-5-20250929"))
                .contains(PriceTable.Price.of("3", "15", "0.30", "3.75"));
        assertThat(s.pools().dailyUsd()).isEqualByComparingTo("0");
    }

    @Test
    void aPropertyOverridesAShippedPrefix() {
        CollabConfig config = CollabConfig.read(new SmallRyeConfigBuilder()
                .withSources(
                        new PropertiesConfigSource(
                                Map.of(
                                        "collab.gateway.prices.\"claude-sonnet-4\".input", "2",
                                        "collab.gateway.prices.\"claude-sonnet-4\".output", "10",
                                        "collab.gateway.prices.\"claude-sonnet-4\".cache-read", "0.2",
                                        "collab.gateway.prices.\"claude-sonnet-4\".cache-write", "2.5",
                                        "collab.gateway.accounts.daily-usd", "2.50"),
                                "test",
                                300),
                        HOME));
        GatewaySettings s = GatewaySettings.from(config, "collab-system", "127.0.0.1");
        assertThat(s.prices().lookup("claude-sonnet-4-20250514"))
                .contains(PriceTable.Price.of("2", "10", "0.2", "2.5"));
        assertThat(s.pools().dailyUsd()).isEqualByComparingTo(new BigDecimal("2.5"));
    }

    @Test
    void anEnvironmentVariableAddsAModel() {
        CollabConfig config = CollabConfig.read(new SmallRyeConfigBuilder()
                .withSources(
                        new EnvConfigSource(
                                Map.of(
                                        "COLLAB_GATEWAY_PRICES__MY_MODEL__INPUT", "1",
                                        "COLLAB_GATEWAY_PRICES__MY_MODEL__OUTPUT", "2",
                                        "COLLAB_GATEWAY_PRICES__MY_MODEL__CACHE_READ", "0.1",
                                        "COLLAB_GATEWAY_PRICES__MY_MODEL__CACHE_WRITE", "1.25",
                                        "COLLAB_GATEWAY_ACCOUNTS_DAILY_USD", "25"),
                                300),
                        HOME));
        GatewaySettings s = GatewaySettings.from(config, "collab-system", "127.0.0.1");
        assertThat(s.prices().lookup("my-model-2026")).contains(PriceTable.Price.of("1", "2", "0.1", "1.25"));
        assertThat(s.pools().dailyUsd()).isEqualByComparingTo("25");
    }
}

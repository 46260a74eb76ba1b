package dev.collab.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Price lookup by longest model-id prefix and the cost of a response: plain functions. */
class PriceTableTest {
    private final PriceTable shipped = PriceTable.shippedDefaults();

    @Test
    void datedModelIdsFindTheirListPriceByTheLongestPrefix() {
        assertThat(shipped.lookup("claude-sonnet-4-5-20250929"))
                .contains(PriceTable.Price.of("3", "15", "0.30", "3.75"));
        assertThat(shipped.lookup("claude-sonnet-4-20250514")).contains(PriceTable.Price.of("3", "15", "0.30", "3.75"));
        assertThat(shipped.lookup("claude-opus-4-5-20251101")).contains(PriceTable.Price.of("5", "25", "0.50", "6.25"));
        assertThat(shipped.lookup("claude-opus-4-1-20250805"))
                .contains(PriceTable.Price.of("15", "75", "1.50", "18.75"));
        assertThat(shipped.lookup("claude-opus-4-20250514")).contains(PriceTable.Price.of("15", "75", "1.50", "18.75"));
        assertThat(shipped.lookup("claude-haiku-4-5-20251001")).contains(PriceTable.Price.of("1", "5", "0.10", "1.25"));
        assertThat(shipped.lookup("claude-3-5-haiku-20241022")).contains(PriceTable.Price.of("0.80", "4", "0.08", "1"));
        assertThat(shipped.lookup("CLAUDE-HAIKU-4-5")).isPresent();
    }

    @Test
    void aModelWithoutAPriceCostsNothing() {
        assertThat(shipped.lookup("gpt-5")).isEmpty();
        assertThat(shipped.lookup(null)).isEmpty();
        assertThat(shipped.nanoUsd(new Usage("gpt-5", 1_000_000, 1_000_000, 0, 0)))
                .isZero();
        assertThat(shipped.nanoUsd(null)).isZero();
    }

    @Test
    void theCostAddsEveryKindOfTokenAtItsPrice() {
        // Sonnet 4.5: 1000 in x $3 + 200 out x $15 + 5000 cache read x $0.30 + 100 cache write x $3.75 per million
        Usage usage = new Usage("claude-sonnet-4-5-20250929", 1000, 200, 5000, 100);
        long nanos = shipped.nanoUsd(usage);
        assertThat(nanos).isEqualTo(3_000_000L + 3_000_000L + 1_500_000L + 375_000L);
        assertThat(PriceTable.usd(nanos)).isEqualByComparingTo("0.007875");
        // Haiku 3.5 cache read: $0.08 per million = 80 nano-USD per token, exact
        assertThat(shipped.nanoUsd(new Usage("claude-3-5-haiku-20241022", 0, 0, 1, 0)))
                .isEqualTo(80);
    }

    @Test
    void aConfiguredPriceReplacesOrAddsAPrefixWrittenAsAnEnvironmentVariableCould() {
        PriceTable table = PriceTable.withOverrides(Map.of(
                "claude_sonnet_4", PriceTable.Price.of("2", "10", "0.2", "2.5"),
                "my-model", PriceTable.Price.of("1", "1", "0", "0")));
        assertThat(table.lookup("claude-sonnet-4-20250514")).contains(PriceTable.Price.of("2", "10", "0.2", "2.5"));
        // the longer shipped prefix claude-sonnet-4-5 still wins for 4.5
        assertThat(table.lookup("claude-sonnet-4-5-20250929")).contains(PriceTable.Price.of("3", "15", "0.30", "3.75"));
        assertThat(table.nanoUsd(new Usage("my-model-v2", 1_000_000, 0, 0, 0))).isEqualTo(1_000_000_000L);
    }

    @Test
    void theSessionTotalKeepsNanoUsdAndNoTrailingZeros() {
        assertThat(UsageDelta.costTotal(null, 135_000)).isEqualTo(new BigDecimal("0.000135"));
        assertThat(UsageDelta.costTotal(new BigDecimal("0.000135"), 865_000)).isEqualTo(new BigDecimal("0.001"));
        assertThat(UsageDelta.costTotal(new BigDecimal("1.5"), 500_000_000)).isEqualTo(new BigDecimal("2"));
        assertThat(UsageDelta.costTotal(null, 0)).isEqualTo(new BigDecimal("0"));
    }
}

package dev.collab.gateway;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * USD list prices per million tokens by model-id prefix, and what a response cost. Pure: built once from the shipped
 * defaults and collab.gateway.prices, looked up per response. A model no prefix matches costs nothing and its tokens
 * are counted as unpriced (collab_gateway_unpriced_tokens_total): a wrong price would be worse than a visible gap.
 */
public final class PriceTable {
    /** One model's prices, USD per million tokens. */
    public record Price(BigDecimal input, BigDecimal output, BigDecimal cacheRead, BigDecimal cacheWrite) {
        public static Price of(String input, String output, String cacheRead, String cacheWrite) {
            return new Price(
                    new BigDecimal(input),
                    new BigDecimal(output),
                    new BigDecimal(cacheRead),
                    new BigDecimal(cacheWrite));
        }
    }

    /** Anthropic's public list prices of the models opencode offers (prefixes of their dated ids). */
    static final Map<String, Price> SHIPPED = shipped();

    private static Map<String, Price> shipped() {
        Map<String, Price> m = new LinkedHashMap<>();
        Price opus4 = Price.of("15", "75", "1.50", "18.75");
        Price sonnet = Price.of("3", "15", "0.30", "3.75");
        m.put("claude-opus-4-5", Price.of("5", "25", "0.50", "6.25"));
        m.put("claude-opus-4-1", opus4);
        m.put("claude-opus-4", opus4);
        m.put("claude-sonnet-4-5", sonnet);
        m.put("claude-sonnet-4", sonnet);
        m.put("claude-3-7-sonnet", sonnet);
        m.put("claude-3-5-sonnet", sonnet);
        m.put("claude-haiku-4-5", Price.of("1", "5", "0.10", "1.25"));
        m.put("claude-3-5-haiku", Price.of("0.80", "4", "0.08", "1"));
        m.put("claude-3-haiku", Price.of("0.25", "1.25", "0.03", "0.30"));
        m.put("claude-3-opus", opus4);
        return Map.copyOf(m);
    }

    private record Entry(String prefix, Price price) {}

    /** Longest prefix first, so claude-opus-4-5 is found before claude-opus-4. */
    private final List<Entry> entries;

    private PriceTable(Map<String, Price> byPrefix) {
        List<Entry> list = new ArrayList<>();
        byPrefix.forEach((prefix, price) -> list.add(new Entry(normalise(prefix), price)));
        list.sort(Comparator.comparingInt((Entry e) -> e.prefix().length())
                .reversed()
                .thenComparing(Entry::prefix));
        this.entries = List.copyOf(list);
    }

    public static PriceTable shippedDefaults() {
        return new PriceTable(SHIPPED);
    }

    /** The shipped prices with {@code overrides} (prefix -> price) replacing or adding prefixes. */
    public static PriceTable withOverrides(Map<String, Price> overrides) {
        Map<String, Price> merged = new LinkedHashMap<>();
        SHIPPED.forEach((k, v) -> merged.put(normalise(k), v));
        overrides.forEach((k, v) -> merged.put(normalise(k), v));
        return new PriceTable(merged);
    }

    /** Looked-up models (few): normalising an id per response showed in the gateway's profile (bench/gateway). */
    private final Map<String, Optional<Price>> byModel = new ConcurrentHashMap<>();

    private static final int MAX_CACHED_MODELS = 1_000;

    /** The price of the longest prefix of {@code model}, empty when none matches. */
    public Optional<Price> lookup(String model) {
        if (model == null) {
            return Optional.empty();
        }
        Optional<Price> known = byModel.get(model);
        if (known == null) {
            known = find(model);
            if (byModel.size() >= MAX_CACHED_MODELS) {
                byModel.clear(); // model ids come from responses: a bound keeps odd ones from piling up
            }
            byModel.put(model, known);
        }
        return known;
    }

    private Optional<Price> find(String model) {
        String id = normalise(model);
        return entries.stream()
                .filter(e -> id.startsWith(e.prefix()))
                .map(Entry::price)
                .findFirst();
    }

    /** What {@code usage} cost at {@code price}, in nano-USD (exact for prices with up to three decimals). */
    public static long nanoUsd(Usage usage, Price price) {
        BigDecimal perMillion = price.input()
                .multiply(BigDecimal.valueOf(usage.inputTokens()))
                .add(price.output().multiply(BigDecimal.valueOf(usage.outputTokens())))
                .add(price.cacheRead().multiply(BigDecimal.valueOf(usage.cacheReadTokens())))
                .add(price.cacheWrite().multiply(BigDecimal.valueOf(usage.cacheWriteTokens())));
        // USD per million tokens x tokens = micro-USD; x 1000 = nano-USD
        return perMillion.movePointRight(3).setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    /** The cost of {@code usage} by this table, nano-USD; 0 for a model without a price (or no usage). */
    public long nanoUsd(Usage usage) {
        if (usage == null) {
            return 0;
        }
        return lookup(usage.model()).map(p -> nanoUsd(usage, p)).orElse(0L);
    }

    /** nano-USD as USD. */
    public static BigDecimal usd(long nanoUsd) {
        return BigDecimal.valueOf(nanoUsd, 9);
    }

    /**
     * Model ids and configured prefixes compared lowercase with every run of other characters than letters and digits
     * as one dash: an environment variable can only spell claude-sonnet-4 as CLAUDE_SONNET_4.
     */
    static String normalise(String s) {
        return s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    }
}

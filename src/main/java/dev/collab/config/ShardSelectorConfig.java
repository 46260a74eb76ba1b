package dev.collab.config;

import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;
import io.smallrye.config.PropertiesConfigSource;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Derives the primary informers' label selectors of the operator SDK's two controllers from collab.operator.shard and
 * collab.operator.shards, so the chart and env set only those two keys (docs/DESIGN.md section 12). Nothing when not
 * sharded. Low ordinal: an explicit quarkus.operator-sdk.controllers.*.selector wins.
 */
public final class ShardSelectorConfig implements ConfigSourceFactory {
    static final List<String> CONTROLLERS = List.of("collabsession", "collabsessionpool");

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        OperatorShard shard = OperatorShard.of(
                intValue(context.getValue("collab.operator.shard"), 0),
                intValue(context.getValue("collab.operator.shards"), 1));
        return List.of(new PropertiesConfigSource(selectors(shard), "collab-operator-shard", 50));
    }

    @Override
    public OptionalInt getPriority() {
        return OptionalInt.of(50);
    }

    /** The selector properties for this shard: none when not sharded. */
    static Map<String, String> selectors(OperatorShard shard) {
        if (!shard.sharded()) {
            return Map.of();
        }
        var properties = new java.util.HashMap<String, String>();
        CONTROLLERS.forEach(
                c -> properties.put("quarkus.operator-sdk.controllers." + c + ".selector", shard.selector()));
        return properties;
    }

    private static int intValue(ConfigValue value, int fallback) {
        if (value == null || value.getValue() == null || value.getValue().isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.getValue().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    value.getName() + " must be a whole number, got \"" + value.getValue() + "\"", e);
        }
    }
}

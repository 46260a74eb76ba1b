package dev.collab.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.collab.api.Shards;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class OperatorShardTest {

    @Test
    void oneShardIsTheOperatorOfBeforeSharding() {
        OperatorShard single = OperatorShard.from(CollabConfig.defaults());
        assertThat(single).isEqualTo(OperatorShard.SINGLE);
        assertThat(single.sharded()).isFalse();
        assertThat(single.selector()).isNull();
        assertThat(single.narrow("a=b")).isEqualTo("a=b");
        assertThat(single.leaseName()).isEqualTo("collab-session-operator");
        assertThat(single.owns("ns", "anything")).isTrue();
        assertThat(ShardSelectorConfig.selectors(single)).isEmpty();
    }

    @Test
    void aShardSelectsItsLabelAndElectsOnItsOwnLease() {
        OperatorShard one = OperatorShard.of(1, 2);
        assertThat(one.selector()).isEqualTo("collab.dev/shard=1");
        assertThat(one.narrow("app.kubernetes.io/managed-by=x"))
                .isEqualTo("app.kubernetes.io/managed-by=x,collab.dev/shard=1");
        assertThat(one.leaseName()).isEqualTo("collab-session-operator-shard-1");
        assertThat(OperatorShard.of(0, 2).leaseName()).isEqualTo("collab-session-operator-shard-0");
        assertThat(ShardSelectorConfig.selectors(one))
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "quarkus.operator-sdk.controllers.collabsession.selector", "collab.dev/shard=1",
                        "quarkus.operator-sdk.controllers.collabsessionpool.selector", "collab.dev/shard=1"));
    }

    @Test
    void everySessionIsOwnedByExactlyOneShard() {
        IntStream.range(0, 200).forEach(i -> {
            long owners = IntStream.range(0, 3)
                    .filter(k -> OperatorShard.of(k, 3).owns("ns", "s" + i))
                    .count();
            assertThat(owners).as("s" + i).isEqualTo(1);
            assertThat(OperatorShard.of(Shards.of("ns", "s" + i, 3), 3).owns("ns", "s" + i))
                    .isTrue();
        });
    }

    @Test
    void keysAreReadFromConfiguration() {
        CollabConfig config = CollabConfig.read(new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(
                        Map.of(
                                "collab.operator.shards",
                                "4",
                                "collab.operator.shard",
                                "3",
                                "user.home",
                                System.getProperty("user.home")),
                        "test",
                        500)));
        assertThat(OperatorShard.from(config)).isEqualTo(OperatorShard.of(3, 4));
    }

    @Test
    void aShardOutsideTheCountIsAClearError() {
        assertThatThrownBy(() -> OperatorShard.of(2, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("collab.operator.shard must be between 0 and 1 (collab.operator.shards=2), got 2");
        assertThatThrownBy(() -> OperatorShard.of(0, 0))
                .hasMessageContaining("collab.operator.shards must be at least 1");
        // one shard: the index is irrelevant (an unsharded Deployment may carry any leftover value)
        assertThat(OperatorShard.of(5, 1)).isEqualTo(OperatorShard.SINGLE);
    }
}

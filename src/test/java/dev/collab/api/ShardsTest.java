package dev.collab.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ShardsTest {

    @Test
    void aSessionsShardDependsOnlyOnNamespaceAndName() {
        // pinned values: every operator process (and every release) must compute the same shard
        assertThat(Shards.of("collab", "cs-7f3a", 2)).isEqualTo(Shards.of("collab", "cs-7f3a", 2));
        assertThat(IntStream.range(0, 8)
                        .map(i -> Shards.of("collab", "s-" + i, 2))
                        .toArray())
                .containsExactly(pinned());
        // the namespace is part of the key: the same name elsewhere is another session
        assertThat(IntStream.range(0, 64).filter(i -> Shards.of("a", "s-" + i, 2) != Shards.of("b", "s-" + i, 2)))
                .isNotEmpty();
    }

    /** sha256("collab/s-i")[0..8) as an unsigned number mod 2, computed independently of {@link Shards}. */
    private static int[] pinned() {
        return IntStream.range(0, 8)
                .map(i -> {
                    String hex = CollabLabels.sha256Hex("collab/s-" + i).substring(0, 16);
                    return new java.math.BigInteger(hex, 16)
                            .mod(java.math.BigInteger.TWO)
                            .intValue();
                })
                .toArray();
    }

    @Test
    void shardsAreInRangeAndEvenlyFilled() {
        for (int count : new int[] {1, 2, 3, 7}) {
            int[] sizes = new int[count];
            IntStream.range(0, 7_000).forEach(i -> sizes[Shards.of("ns-" + (i % 13), "session-" + i, count)]++);
            for (int size : sizes) {
                // 7,000 names: each shard within 10 % of its even share
                assertThat(size).isBetween(7_000 / count * 9 / 10, 7_000 / count * 11 / 10);
            }
        }
    }

    @Test
    void oneShardHoldsEverything() {
        assertThat(IntStream.range(0, 100).map(i -> Shards.of("ns", "s" + i, 1)))
                .containsOnly(0);
    }

    @Test
    void aCountBelowOneIsRefused() {
        assertThatThrownBy(() -> Shards.of("ns", "s", 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1");
    }
}

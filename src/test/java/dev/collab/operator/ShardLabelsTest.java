package dev.collab.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.OwnerReferences;
import dev.collab.api.Shards;
import dev.collab.config.OperatorShard;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The shard label on a sharded session's children, and which sessions the labeler takes (pure parts). */
class ShardLabelsTest {
    private final OperatorSettings settings = OperatorSettings.defaults();

    static CollabSession sharded(String name, String shard) {
        CollabSession s = WorkerPodBuilderTest.session(name);
        s.getMetadata().setLabels(new java.util.HashMap<>(Map.of(Shards.LABEL, shard)));
        return s;
    }

    @Test
    void everyChildOfAShardedSessionCarriesItsShard() {
        CollabSession s = sharded("s1", "1");
        var creds = WorkerPodBuilderTest.creds(Map.of("auth.json", "{}"));
        Pod pod = WorkerPodBuilder.desired(s, settings, creds);
        Secret access = AccessSecretBuilder.desired(s);
        PersistentVolumeClaim claim = HomeClaimBuilder.desired(s, settings);
        for (var child : new io.fabric8.kubernetes.api.model.HasMetadata[] {pod, access, claim}) {
            assertThat(child.getMetadata().getLabels())
                    .as(child.getKind())
                    .containsEntry(Shards.LABEL, "1")
                    .containsEntry(CollabLabels.SESSION, "s1");
        }
    }

    @Test
    void anUnshardedSessionsChildrenCarryNoShardLabel() {
        CollabSession s = WorkerPodBuilderTest.session("s1");
        Pod pod = WorkerPodBuilder.desired(s, settings, WorkerPodBuilderTest.creds(Map.of("auth.json", "{}")));
        assertThat(pod.getMetadata().getLabels()).doesNotContainKey(Shards.LABEL);
        assertThat(AccessSecretBuilder.desired(s).getMetadata().getLabels()).doesNotContainKey(Shards.LABEL);
    }

    /** An upgrade to shards labels running pods: that must not replace them (the spec hash is of the pod spec only). */
    @Test
    void theShardLabelLeavesThePodSpecHashAlone() {
        var creds = WorkerPodBuilderTest.creds(Map.of("auth.json", "{}"));
        Pod before = WorkerPodBuilder.desired(WorkerPodBuilderTest.session("s1"), settings, creds);
        Pod after = WorkerPodBuilder.desired(sharded("s1", "0"), settings, creds);
        assertThat(after.getMetadata().getAnnotations().get(CollabLabels.SPEC_HASH))
                .isEqualTo(before.getMetadata().getAnnotations().get(CollabLabels.SPEC_HASH));
        assertThat(after.getSpec()).isEqualTo(before.getSpec());
    }

    @Test
    void aClaimedWarmWorkerTakesTheSessionsShard() {
        CollabSession s = sharded("s1", "1");
        Pod warm = new PodBuilder()
                .withNewMetadata()
                .withName("default-abcde")
                .withResourceVersion("7")
                .withLabels(Map.of(CollabLabels.POOL, "default", CollabLabels.ROLE, CollabLabels.ROLE_WORKER))
                .endMetadata()
                .build();
        Pod desired = WorkerPodBuilder.desired(
                s, settings, WorkerPodBuilderTest.creds(Map.of("auth.json", "{}")), WorkerNames.of("default-abcde"));
        Pod claim = WarmWorkerClaim.claimPatch(warm, s, desired, java.time.Instant.EPOCH);
        assertThat(claim.getMetadata().getLabels())
                .containsEntry(Shards.LABEL, "1")
                .containsEntry(CollabLabels.POOL, "default")
                .containsEntry(CollabLabels.SESSION, "s1");
    }

    @Test
    void theLabelerTakesOnlyUnlabelledSessionsOfItsShard() {
        OperatorShard zero = OperatorShard.of(0, 2);
        OperatorShard one = OperatorShard.of(1, 2);
        IntStream.range(0, 50).forEach(i -> {
            CollabSession s = WorkerPodBuilderTest.session("s" + i);
            assertThat(ShardLabeler.needsLabel(s, zero) ^ ShardLabeler.needsLabel(s, one))
                    .as("exactly one shard labels s" + i)
                    .isTrue();
            assertThat(ShardLabeler.needsLabel(s, OperatorShard.of(Shards.of("ns", "s" + i, 2), 2)))
                    .isTrue();
        });
        // labelled: kept, whatever the hash says now (a shard count change re-labels nothing)
        CollabSession labelled = sharded("s1", "1");
        assertThat(ShardLabeler.needsLabel(labelled, zero)).isFalse();
        assertThat(ShardLabeler.needsLabel(labelled, one)).isFalse();
        // not sharded: no labels at all
        assertThat(ShardLabeler.needsLabel(WorkerPodBuilderTest.session("s1"), OperatorShard.SINGLE))
                .isFalse();
        // being deleted: left alone
        CollabSession leaving = WorkerPodBuilderTest.session("s2");
        leaving.getMetadata().setDeletionTimestamp("2026-01-01T00:00:00Z");
        assertThat(ShardLabeler.needsLabel(leaving, zero) || ShardLabeler.needsLabel(leaving, one))
                .isFalse();
    }

    @Test
    void theLabelerMovesOnlyTheSessionsOwnChildren() {
        CollabSession s = WorkerPodBuilderTest.session("s1");
        Pod own = WorkerPodBuilder.desired(s, settings, WorkerPodBuilderTest.creds(Map.of("auth.json", "{}")));
        Pod planted = new PodBuilder(own)
                .editMetadata()
                .withOwnerReferences()
                .endMetadata()
                .build();
        Pod otherSessions = new PodBuilder(own)
                .editMetadata()
                .withOwnerReferences(OwnerReferences.controller(WorkerPodBuilderTest.session("s9")))
                .endMetadata()
                .build();
        assertThat(ShardLabeler.isOwn(own, s)).isTrue();
        assertThat(ShardLabeler.isOwn(planted, s)).isFalse();
        assertThat(ShardLabeler.isOwn(otherSessions, s)).isFalse();
        assertThat(ShardLabeler.labelPatch("1")).isEqualTo("{\"metadata\":{\"labels\":{\"collab.dev/shard\":\"1\"}}}");
    }

    @Test
    void aShardReconcilesOnlyItsOwnSessions() {
        assertThat(CollabSessionReconciler.isMine(sharded("s1", "1"), OperatorShard.of(1, 2)))
                .isTrue();
        assertThat(CollabSessionReconciler.isMine(sharded("s1", "1"), OperatorShard.of(0, 2)))
                .isFalse();
        assertThat(CollabSessionReconciler.isMine(WorkerPodBuilderTest.session("s1"), OperatorShard.of(0, 2)))
                .isFalse();
        // not sharded: every session, labelled or not (a count brought back to 1)
        assertThat(CollabSessionReconciler.isMine(sharded("s1", "1"), OperatorShard.SINGLE))
                .isTrue();
        assertThat(CollabSessionReconciler.isMine(WorkerPodBuilderTest.session("s1"), OperatorShard.SINGLE))
                .isTrue();
    }
}

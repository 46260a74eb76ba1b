package dev.collab.operator;

import static dev.collab.operator.OperatorHarness.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.javaoperatorsdk.operator.Operator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The claim race on the Fabric8 mock API server (fake kubelet, fake credential API): many sessions created at once
 * against a pool of a few, first with two operator processes reconciling side by side (a failover overlap), then
 * with an operator restarted in the middle. A worker's session label may be written once only.
 */
class PoolClaimRaceTest {
    private static final int SESSIONS = 16;
    private static final int POOL = 4;
    private OperatorHarness h;
    private final List<Operator> extraOperators = new ArrayList<>();
    private SharedIndexInformer<Pod> recorder;

    @AfterEach
    void stop() {
        if (recorder != null) {
            recorder.close();
        }
        extraOperators.forEach(Operator::stop);
        if (h != null) {
            h.close();
        }
    }

    /**
     * What the claim relies on: the API server refuses the claim's JSON patch when the resourceVersion it carries is
     * no longer current (here: a second claimer that saw the same version as the first).
     */
    @Test
    void staleClaimPatchIsRefused() {
        h = new OperatorHarness(OperatorSettings.defaults());
        h.createPool("p", 1);
        await().atMost(OperatorHarness.WAIT)
                .until(() -> h.poolPods("p").size() == 1
                        && PodView.of(h.poolPods("p").get(0), 4096).ready());
        Pod seen = h.poolPods("p").get(0);
        String name = seen.getMetadata().getName();
        Pod desired = new io.fabric8.kubernetes.api.model.PodBuilder()
                .withNewMetadata()
                .withLabels(new HashMap<>(Map.of(CollabLabels.SESSION, "one")))
                .withAnnotations(Map.of(CollabLabels.SPEC_HASH, "x", CollabLabels.CREDENTIALS_HASH, "y"))
                .endMetadata()
                .build();
        WarmWorkerClaim.apply(
                h.client, NS, name, WarmWorkerClaim.claimPatch(seen, ghost("one"), desired, java.time.Instant.now()));
        desired.getMetadata().getLabels().put(CollabLabels.SESSION, "two");
        Pod late = WarmWorkerClaim.claimPatch(seen, ghost("two"), desired, java.time.Instant.now());
        assertThatThrownBy(() -> WarmWorkerClaim.apply(h.client, NS, name, late))
                .isInstanceOf(KubernetesClientException.class)
                .satisfies(e ->
                        assertThat(((KubernetesClientException) e).getCode()).isEqualTo(409));
        Pod claimed = h.client.pods().inNamespace(NS).withName(name).get();
        assertThat(claimed.getMetadata().getLabels()).containsEntry(CollabLabels.SESSION, "one");
        assertThat(claimed.getMetadata().getOwnerReferences())
                .singleElement()
                .satisfies(ref -> assertThat(ref.getUid()).isEqualTo("uid-one"));
    }

    private static CollabSession ghost(String name) {
        CollabSession s = new CollabSession(NS, name, new dev.collab.api.CollabSessionSpec(name, name + "-creds"));
        s.getMetadata().setUid("uid-" + name);
        return s;
    }

    @Test
    void manySessionsAgainstAFewWarmWorkersNeverShareOneAndAllGetAWorker() throws Exception {
        h = new OperatorHarness(OperatorSettings.defaults());
        Map<String, Set<String>> sessionsPerWorker = new ConcurrentHashMap<>();
        recorder = h.client.pods().inNamespace(NS).withLabel(CollabLabels.POOL).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                record(pod);
            }

            @Override
            public void onUpdate(Pod old, Pod pod) {
                record(pod);
            }

            @Override
            public void onDelete(Pod pod, boolean unknown) {}

            private void record(Pod pod) {
                String session = pod.getMetadata().getLabels().get(CollabLabels.SESSION);
                if (session != null) {
                    sessionsPerWorker
                            .computeIfAbsent(pod.getMetadata().getName(), k -> ConcurrentHashMap.newKeySet())
                            .add(session);
                }
            }
        });
        h.createPool("default", POOL);
        await().atMost(OperatorHarness.WAIT)
                .until(() -> h.pool("default").getStatus() != null
                        && Integer.valueOf(POOL)
                                .equals(h.pool("default").getStatus().getReady()));
        extraOperators.add(h.startOperator()); // two operators reconcile side by side

        List<String> names =
                IntStream.range(0, SESSIONS).mapToObj(i -> "race-" + i).toList();
        for (String name : names) {
            h.credentials(name + "-creds", "owner-" + name, Map.of("auth.json", PoolTest.AUTH));
        }
        ExecutorService creators = Executors.newFixedThreadPool(8);
        try {
            for (String name : names.subList(0, SESSIONS / 2)) {
                creators.submit(() -> h.create(name, "owner-" + name, name + "-creds"));
            }
            // Restart in the middle: the first operator stops while claims are under way, a new one starts.
            await().atMost(OperatorHarness.WAIT).until(() -> !sessionsPerWorker.isEmpty());
            h.operator.stop();
            for (String name : names.subList(SESSIONS / 2, SESSIONS)) {
                creators.submit(() -> h.create(name, "owner-" + name, name + "-creds"));
            }
            h.operator = h.startOperator();
        } finally {
            creators.shutdown();
            assertThat(creators.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }

        Duration patience = Duration.ofSeconds(60);
        await().atMost(patience)
                .until(() -> names.stream().allMatch(n -> {
                    CollabSession s = h.session(n);
                    return s != null && s.getStatus() != null && s.getStatus().getEndpoint() != null;
                }));
        // Quiet down to one operator and let every reconcile settle (duplicate claims released, pool refilled).
        extraOperators.forEach(Operator::stop);
        extraOperators.clear();
        await().atMost(patience)
                .until(() -> h.pool("default").getStatus() != null
                        && Integer.valueOf(POOL)
                                .equals(h.pool("default").getStatus().getReady()));

        // No worker ever carried two sessions' labels.
        assertThat(sessionsPerWorker).isNotEmpty();
        sessionsPerWorker.forEach(
                (worker, sessions) -> assertThat(sessions).as(worker).hasSize(1));
        // Every session runs on its own worker, labelled and owned by it, one worker per session.
        Map<String, String> workerOf = new HashMap<>();
        for (String n : names) {
            CollabSession s = h.session(n);
            Pod pod = h.client
                    .pods()
                    .inNamespace(NS)
                    .withName(s.getStatus().getPodName())
                    .get();
            assertThat(pod).as(n).isNotNull();
            assertThat(pod.getMetadata().getLabels()).containsEntry(CollabLabels.SESSION, n);
            assertThat(pod.getMetadata().getOwnerReferences())
                    .singleElement()
                    .satisfies(ref ->
                            assertThat(ref.getUid()).isEqualTo(s.getMetadata().getUid()));
            workerOf.put(n, pod.getMetadata().getName());
        }
        assertThat(Set.copyOf(workerOf.values())).hasSize(SESSIONS);
        await().atMost(patience).untilAsserted(() -> {
            Map<String, Long> podsPerSession = h.client.pods().inNamespace(NS).list().getItems().stream()
                    .filter(p -> p.getMetadata().getLabels().containsKey(CollabLabels.SESSION))
                    .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                    .collect(Collectors.groupingBy(
                            p -> p.getMetadata().getLabels().get(CollabLabels.SESSION), Collectors.counting()));
            assertThat(podsPerSession)
                    .hasSize(SESSIONS)
                    .allSatisfy((session, count) -> assertThat(count).isEqualTo(1L));
        });
        // Some sessions got warm workers, the rest started their own. (Two overlapping operators may both claim for
        // one session; the second claim is released, so fewer than the pool's size may end up claimed.)
        long claimed = workerOf.entrySet().stream()
                .filter(e -> !e.getKey().equals(e.getValue()))
                .count();
        assertThat(claimed).isPositive();
    }
}

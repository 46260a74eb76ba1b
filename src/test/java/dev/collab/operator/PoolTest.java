package dev.collab.operator;

import static dev.collab.operator.OperatorHarness.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPool;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.SessionPhase;
import dev.collab.api.StoppedReason;
import dev.collab.testing.Specs;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 17 on the Fabric8 mock API server: a CollabSessionPool keeps warm workers, a new session claims one, the pool
 * refills. The fake kubelet marks pods Ready; opencode's credential API is faked by {@link RecordingDelivery}.
 */
class PoolTest {
    static final String AUTH = "{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-test\"}}";
    private OperatorHarness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void poolFillsWithWarmWorkersThatBelongToNoSessionAndHoldNoCredential() {
        h = new OperatorHarness(OperatorSettings.defaults());
        CollabSessionPool pool = h.createPool("default", 2);
        List<Pod> warm = awaitWarm("default", 2);

        for (Pod pod : warm) {
            String name = pod.getMetadata().getName();
            assertThat(name).startsWith("default-");
            assertThat(pod.getMetadata().getLabels())
                    .containsEntry(CollabLabels.POOL, "default")
                    .containsEntry(CollabLabels.ROLE, CollabLabels.ROLE_WORKER)
                    .doesNotContainKey(CollabLabels.SESSION);
            assertThat(pod.getMetadata().getOwnerReferences())
                    .singleElement()
                    .satisfies(ref -> assertThat(ref.getUid())
                            .isEqualTo(pool.getMetadata().getUid()));
            assertThat(pod.getSpec().getVolumes()).noneMatch(v -> v.getSecret() != null);
            assertThat(pod.getSpec().getVolumes())
                    .anyMatch(v -> v.getPersistentVolumeClaim() != null
                            && v.getPersistentVolumeClaim().getClaimName().equals(name + "-home"));
            assertThat(pod.getSpec().getContainers().get(0).getEnv())
                    .filteredOn(e -> e.getName().equals("OPENCODE_SERVER_PASSWORD"))
                    .singleElement()
                    .satisfies(
                            e -> assertThat(e.getValueFrom().getSecretKeyRef().getName())
                                    .isEqualTo(name + "-access"));
            PersistentVolumeClaim claim = h.client
                    .persistentVolumeClaims()
                    .inNamespace(NS)
                    .withName(name + "-home")
                    .get();
            assertThat(claim.getMetadata().getLabels())
                    .containsEntry(CollabLabels.POOL, "default")
                    .doesNotContainKey(CollabLabels.SESSION);
            assertThat(h.client
                            .secrets()
                            .inNamespace(NS)
                            .withName(name + "-access")
                            .get()
                            .getData())
                    .containsOnlyKeys("token", "server-password");
        }
        await().atMost(OperatorHarness.WAIT).untilAsserted(() -> {
            var status = h.pool("default").getStatus();
            assertThat(status).isNotNull();
            assertThat(List.of(status.getReplicas(), status.getReady(), status.getDesired(), status.getClaimed()))
                    .containsExactly(2, 2, 2, 0);
            assertThat(status.getSelector()).isEqualTo("collab.dev/pool=default,!collab.dev/session");
        });
    }

    @Test
    void newSessionClaimsAWarmWorkerGetsItsCredentialsAndThePoolRefills() {
        h = new OperatorHarness(OperatorSettings.defaults());
        h.createPool("default", 2);
        Set<String> warmBefore = names(awaitWarm("default", 2));
        h.credentials("s-creds", Map.of("auth.json", AUTH));
        CollabSession created = h.create("s", "alice", "s-creds");

        CollabSession s = h.awaitSession(
                "s", cs -> cs.getStatus() != null && cs.getStatus().getEndpoint() != null);
        String worker = s.getStatus().getPodName();
        assertThat(warmBefore).contains(worker);
        assertThat(s.getStatus().getPhase()).isEqualTo(SessionPhase.Running);
        assertThat(s.getStatus().getAccessSecretName()).isEqualTo(worker + "-access");
        assertThat(h.client.pods().inNamespace(NS).withName("s").get()).isNull();
        assertThat(h.client
                        .persistentVolumeClaims()
                        .inNamespace(NS)
                        .withName("s-home")
                        .get())
                .isNull();

        // Ownership and labels moved to the session: pod, HOME claim and access Secret (the claim and Secret right
        // after the status patch that published the endpoint).
        Pod pod = h.client.pods().inNamespace(NS).withName(worker).get();
        await().atMost(OperatorHarness.WAIT).untilAsserted(() -> {
            PersistentVolumeClaim claim = h.client
                    .persistentVolumeClaims()
                    .inNamespace(NS)
                    .withName(worker + "-home")
                    .get();
            Secret adopted = h.client
                    .secrets()
                    .inNamespace(NS)
                    .withName(worker + "-access")
                    .get();
            for (var meta : List.of(pod.getMetadata(), claim.getMetadata(), adopted.getMetadata())) {
                assertThat(meta.getLabels())
                        .containsEntry(CollabLabels.SESSION, "s")
                        .containsEntry(CollabLabels.OWNER, CollabLabels.ownerLabelValue("alice"));
                assertThat(meta.getOwnerReferences())
                        .singleElement()
                        .satisfies(ref -> assertThat(ref.getUid())
                                .isEqualTo(created.getMetadata().getUid()));
            }
        });
        Secret access =
                h.client.secrets().inNamespace(NS).withName(worker + "-access").get();
        assertThat(pod.getMetadata().getAnnotations()).doesNotContainKey(CollabLabels.CREDENTIALS_PENDING);
        assertThat(s.getStatus().getEndpoint())
                .isEqualTo("http://" + pod.getStatus().getPodIP() + ":4096");

        // The credentials went to that worker's opencode, with that worker's own server password.
        assertThat(h.delivery.calls).singleElement().satisfies(call -> {
            assertThat(call.endpoint()).isEqualTo(s.getStatus().getEndpoint());
            assertThat(call.password()).isEqualTo(decode(access, "server-password"));
            assertThat(call.entries()).containsOnlyKeys("anthropic");
            assertThat(call.entries().get("anthropic")).contains("sk-test");
        });
        await().atMost(OperatorHarness.WAIT)
                .untilAsserted(() -> assertThat(eventReasons("s")).contains("Claimed", "Ready"));

        // The pool refills in the background and counts the claimed worker.
        await().atMost(OperatorHarness.WAIT).untilAsserted(() -> {
            assertThat(warm("default"))
                    .hasSize(2)
                    .noneMatch(p -> p.getMetadata().getName().equals(worker));
            assertThat(h.pool("default").getStatus().getClaimed()).isEqualTo(1);
        });
        // No second reconcile replaced the claimed pod (its spec hash is the session's).
        assertThat(h.client
                        .pods()
                        .inNamespace(NS)
                        .withName(worker)
                        .get()
                        .getMetadata()
                        .getUid())
                .isEqualTo(pod.getMetadata().getUid());
    }

    @Test
    void claimedWorkerThatRefusesTheCredentialsIsRestartedSeededFromTheSecret() {
        h = new OperatorHarness(OperatorSettings.defaults().withStartTimeout(Duration.ofMinutes(1)));
        h.delivery.accept = false;
        h.createPool("default", 1);
        awaitWarm("default", 1);
        h.credentials("s-creds", Map.of("auth.json", AUTH));
        h.create("s", "alice", "s-creds");
        await().atMost(OperatorHarness.WAIT).until(() -> !h.delivery.calls.isEmpty());
        // the delivery runs beside the reconcile (issue 30): its status may be written just after the first call
        CollabSession pending = h.awaitSession("s", cs -> cs.getStatus().getPodName() != null);
        assertThat(pending.getStatus().getEndpoint()).isNull();
        String worker = pending.getStatus().getPodName();
        String firstUid = h.client
                .pods()
                .inNamespace(NS)
                .withName(worker)
                .get()
                .getMetadata()
                .getUid();

        h.clock.advance(Duration.ofMinutes(2));
        h.nudge("s");
        CollabSession running = h.awaitSession("s", cs -> cs.getStatus().getEndpoint() != null);
        Pod seeded = h.client.pods().inNamespace(NS).withName(worker).get();
        assertThat(running.getStatus().getPodName()).isEqualTo(worker);
        assertThat(seeded.getMetadata().getUid()).isNotEqualTo(firstUid);
        assertThat(seeded.getSpec().getVolumes())
                .filteredOn(v -> v.getSecret() != null)
                .singleElement()
                .satisfies(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("s-creds"));
        assertThat(seeded.getSpec().getVolumes())
                .anyMatch(v -> v.getPersistentVolumeClaim() != null
                        && v.getPersistentVolumeClaim().getClaimName().equals(worker + "-home"));
        assertThat(eventReasons("s")).contains("CredentialsNotDelivered");
    }

    @Test
    void crashedWarmWorkerIsReplacedByAFreshOne() {
        h = new OperatorHarness(OperatorSettings.defaults());
        h.kubelet.behaveForPool("default", FakeKubelet.Behaviour.CRASH_LOOP);
        h.createPool("default", 1);
        // Read the name in the same call that sees the pod: the operator may already be replacing it.
        String crashed = await().atMost(OperatorHarness.WAIT)
                .until(
                        () -> h.poolPods("default").stream()
                                .map(p -> p.getMetadata().getName())
                                .findFirst()
                                .orElse(null),
                        Objects::nonNull);
        // Only once the operator has removed it as failed may new workers start well: switched earlier, the fake
        // kubelet could make this very pod Ready before it ever crashed (seen in a full run).
        await().atMost(OperatorHarness.WAIT)
                .until(() -> h.client.pods().inNamespace(NS).withName(crashed).get() == null);

        h.kubelet.behaveForPool("default", FakeKubelet.Behaviour.READY);
        List<Pod> warm = awaitWarm("default", 1);
        assertThat(warm.get(0).getMetadata().getName()).isNotEqualTo(crashed);
        await().atMost(OperatorHarness.WAIT).untilAsserted(() -> {
            assertThat(h.client.pods().inNamespace(NS).withName(crashed).get()).isNull();
            assertThat(h.client
                            .persistentVolumeClaims()
                            .inNamespace(NS)
                            .withName(crashed + "-home")
                            .get())
                    .isNull();
            assertThat(h.client
                            .secrets()
                            .inNamespace(NS)
                            .withName(crashed + "-access")
                            .get())
                    .isNull();
        });
    }

    @Test
    void warmWorkersIgnoreTheIdleTimerAndDoNotCountAgainstTheCap() {
        h = new OperatorHarness(OperatorSettings.defaults().withCaps(1, 0));
        h.createPool("default", 2);
        Set<String> warm = names(awaitWarm("default", 2));

        // Far past every idle timeout: warm workers are not sessions, nothing stops them.
        h.clock.advance(Duration.ofHours(3));
        h.credentials("a-creds", Map.of("auth.json", AUTH));
        h.create("a", "alice", "a-creds");
        CollabSession a = h.awaitSession(
                "a", cs -> cs.getStatus() != null && cs.getStatus().getEndpoint() != null);
        // Two warm workers and the cap of one running session: the claim evicted nobody.
        assertThat(eventReasons("a")).doesNotContain("CapacityEvicted");
        assertThat(warm).contains(a.getStatus().getPodName());
        assertThat(warm.stream().filter(n -> !n.equals(a.getStatus().getPodName())))
                .allMatch(n -> h.client.pods().inNamespace(NS).withName(n).get() != null);

        // A claimed worker is a running session like any other: the next start evicts it.
        awaitWarm("default", 2);
        h.credentials("b-creds", "bob", Map.of("auth.json", AUTH));
        h.create("b", "bob", "b-creds");
        h.awaitSession("b", cs -> cs.getStatus() != null && cs.getStatus().getEndpoint() != null);
        CollabSession evicted = h.awaitSession("a", cs -> cs.getStatus().getPhase() == SessionPhase.Stopped);
        assertThat(evicted.getStatus().getStoppedReason()).isEqualTo(StoppedReason.CapacityEvicted);
    }

    @Test
    void sessionThatDoesNotFitThePoolStartsItsOwnWorker() {
        h = new OperatorHarness(OperatorSettings.defaults());
        h.createPool("default", 1);
        Set<String> warm = names(awaitWarm("default", 1));
        h.credentials("c-creds", "carol", Map.of("claude-credentials.json", "{\"claudeAiOauth\":{}}"));
        h.create("c", "carol", "c-creds");
        h.awaitSession("c", cs -> cs.getStatus() != null && cs.getStatus().getEndpoint() != null);
        assertThat(h.session("c").getStatus().getPodName()).isEqualTo("c");
        assertThat(names(warm("default"))).isEqualTo(warm);
        assertThat(h.delivery.calls).isEmpty();
    }

    @Test
    void wakingSessionReusesItsOwnHomeNotThePool() {
        h = new OperatorHarness(OperatorSettings.defaults());
        h.createPool("default", 1);
        awaitWarm("default", 1);
        h.credentials("w-creds", Map.of("auth.json", AUTH));
        CollabSessionSpec spec = Specs.seeded("alice", "w-creds");
        spec.setIdleTimeout("1m");
        h.create("w", spec);
        String worker = h.awaitSession(
                        "w", cs -> cs.getStatus() != null && cs.getStatus().getEndpoint() != null)
                .getStatus()
                .getPodName();
        Set<String> refilled = names(awaitWarm("default", 1));

        h.clock.advance(Duration.ofMinutes(2));
        h.nudge("w");
        h.awaitSession("w", cs -> cs.getStatus().getPhase() == SessionPhase.Stopped);
        await().atMost(OperatorHarness.WAIT)
                .until(() -> h.client.pods().inNamespace(NS).withName(worker).get() == null);

        h.clock.advance(Duration.ofSeconds(30));
        h.edit("w", cs -> {
            cs.getMetadata()
                    .setAnnotations(new HashMap<>(
                            Map.of(CollabLabels.LAST_ACTIVITY, h.clock.instant().toString())));
            return cs;
        });
        CollabSession woken = h.awaitSession("w", cs -> cs.getStatus().getEndpoint() != null);
        assertThat(woken.getStatus().getPodName()).isEqualTo(worker);
        Pod pod = h.client.pods().inNamespace(NS).withName(worker).get();
        assertThat(pod.getSpec().getVolumes())
                .anyMatch(v -> v.getPersistentVolumeClaim() != null
                        && v.getPersistentVolumeClaim().getClaimName().equals(worker + "-home"));
        assertThat(names(warm("default"))).isEqualTo(refilled);
        assertThat(h.delivery.calls).hasSize(1);
    }

    @Test
    void deletedClaimedSessionTakesItsWorkerAlongAndThePoolStaysFull() {
        h = new OperatorHarness(OperatorSettings.defaults());
        h.createPool("default", 1);
        awaitWarm("default", 1);
        h.credentials("d-creds", "dora", Map.of("auth.json", AUTH));
        CollabSession d = h.create("d", "dora", "d-creds");
        String worker = h.awaitSession(
                        "d", cs -> cs.getStatus() != null && cs.getStatus().getEndpoint() != null)
                .getStatus()
                .getPodName();
        Set<String> refilled = names(awaitWarm("default", 1));

        h.client.resource(d).delete();
        await().atMost(OperatorHarness.WAIT).untilAsserted(() -> {
            // The mock server has no garbage collector; like the real one, this also collects a pod that a reconcile
            // still running when the session went recreated.
            h.collectGarbage(d.getMetadata().getUid());
            assertThat(h.client.pods().inNamespace(NS).withName(worker).get()).isNull();
            assertThat(h.client
                            .persistentVolumeClaims()
                            .inNamespace(NS)
                            .withName(worker + "-home")
                            .get())
                    .isNull();
            assertThat(h.client
                            .secrets()
                            .inNamespace(NS)
                            .withName(worker + "-access")
                            .get())
                    .isNull();
        });
        assertThat(names(warm("default"))).isEqualTo(refilled);
    }

    @Test
    void scaleDownRemovesWarmWorkersButNeverAClaimedOne() {
        h = new OperatorHarness(OperatorSettings.defaults());
        h.createPool("default", 2);
        awaitWarm("default", 2);
        h.credentials("k-creds", "kim", Map.of("auth.json", AUTH));
        h.create("k", "kim", "k-creds");
        String worker = h.awaitSession(
                        "k", cs -> cs.getStatus() != null && cs.getStatus().getEndpoint() != null)
                .getStatus()
                .getPodName();

        h.client
                .resources(CollabSessionPool.class)
                .inNamespace(NS)
                .withName("default")
                .edit(p -> {
                    p.getSpec().setReplicas(0);
                    return p;
                });
        await().atMost(OperatorHarness.WAIT).until(() -> warm("default").isEmpty());
        await().atMost(OperatorHarness.WAIT)
                .until(() ->
                        Integer.valueOf(0).equals(h.pool("default").getStatus().getReplicas()));
        assertThat(h.client.pods().inNamespace(NS).withName(worker).get()).isNotNull();
        assertThat(h.client
                        .persistentVolumeClaims()
                        .inNamespace(NS)
                        .withName(worker + "-home")
                        .get())
                .isNotNull();
        assertThat(h.session("k").getStatus().getEndpoint()).isNotNull();
    }

    // ---- helpers

    private List<Pod> warm(String pool) {
        return h.poolPods(pool).stream()
                .filter(p -> !p.getMetadata().getLabels().containsKey(CollabLabels.SESSION))
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .toList();
    }

    /** Waits for exactly this many Ready warm workers. */
    private List<Pod> awaitWarm(String pool, int count) {
        await().atMost(OperatorHarness.WAIT).until(() -> {
            List<Pod> warm = warm(pool);
            return warm.size() == count
                    && warm.stream().allMatch(p -> PodView.of(p, 4096).ready());
        });
        return warm(pool);
    }

    private static Set<String> names(List<Pod> pods) {
        return pods.stream().map(p -> p.getMetadata().getName()).collect(Collectors.toSet());
    }

    private static String decode(Secret secret, String key) {
        return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
    }

    private List<String> eventReasons(String name) {
        return h.client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> name.equals(e.getInvolvedObject().getName()))
                .map(Event::getReason)
                .toList();
    }
}

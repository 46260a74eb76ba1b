package dev.collab.operator;

import static dev.collab.operator.OperatorOnControlPlane.NS;
import static dev.collab.operator.OperatorOnControlPlane.OPERATOR_USER;
import static dev.collab.operator.OperatorOnControlPlane.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPool;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.InformerHandlers;
import dev.collab.api.SessionPhase;
import dev.collab.testing.ControlPlane;
import dev.collab.testing.ControlPlaneExtension;
import dev.collab.testing.Specs;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The warm pool (issue 17) on the real control plane: a pool fills, a session claims a warm worker, two claimers
 * race for the last one and the real API server's compare-and-swap lets exactly one win, the pool refills, and the
 * claimed pod is admitted under Pod Security "restricted". The operator (sessions and pools) runs in this JVM as the
 * collab-operator ServiceAccount with deploy/'s RBAC; pods are started by a FAKE kubelet (status subresource) and
 * opencode's credential API is FAKE ({@link RecordingDelivery}). Every pool here is named in spec.poolRef, never
 * "default": the namespace is shared with the other control-plane tests.
 */
@ExtendWith(ControlPlaneExtension.class)
class PoolControlPlaneIT {
    static OperatorOnControlPlane env;
    static long start;
    final List<String> sessions = new ArrayList<>();
    final List<String> pools = new ArrayList<>();
    SharedIndexInformer<Pod> recorder;

    @BeforeAll
    static void startOperator(ControlPlane plane) {
        start = plane.auditLog().mark();
        env = new OperatorOnControlPlane(plane, OperatorSettings.defaults());
    }

    @AfterAll
    static void stopOperator() {
        if (env != null) {
            env.close();
        }
    }

    @AfterEach
    void cleanUp(ControlPlane plane) {
        if (recorder != null) {
            recorder.close();
        }
        env.kubelet.releaseAll();
        sessions.forEach(s -> env.admin
                .resources(CollabSession.class)
                .inNamespace(NS)
                .withName(s)
                .delete());
        pools.forEach(p -> env.admin
                .resources(CollabSessionPool.class)
                .inNamespace(NS)
                .withName(p)
                .delete());
        assertThat(plane.auditLog().forbidden(start, OPERATOR_USER))
                .as("requests the RBAC of deploy/ refused")
                .isEmpty();
    }

    @Test
    void aPoolFillsASessionClaimsAWarmWorkerAndThePoolRefills() {
        pool("fill", 2);
        CollabSessionPool filled = awaitPool("fill", p -> ready(p) == 2);
        assertThat(claimed(filled)).isZero();
        Set<String> warm = warmWorkers("fill");
        assertThat(warm).hasSize(2).allMatch(n -> n.matches("fill-[a-z0-9]{5}"));

        CollabSession session = running("claimer", "fill");

        String worker = session.getStatus().getPodName();
        assertThat(worker).as("the session runs on a warm worker").isIn(warm);
        Pod pod = env.admin.pods().inNamespace(NS).withName(worker).get();
        assertThat(pod.getMetadata().getLabels())
                .containsEntry(CollabLabels.SESSION, "claimer")
                .containsEntry(CollabLabels.POOL, "fill");
        assertThat(pod.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getKind()).isEqualTo(CollabSession.KIND);
            assertThat(o.getUid()).isEqualTo(session.getMetadata().getUid());
            assertThat(o.getController()).isTrue();
        });
        assertThat(CredentialsHandover.isPending(pod))
                .as("credentials delivered")
                .isFalse();
        assertThat(env.delivery.calls)
                .as("auth.json reached the claimed worker's opencode (FAKE credential API)")
                .anySatisfy(c -> {
                    assertThat(c.endpoint()).contains(pod.getStatus().getPodIP());
                    assertThat(c.entries()).containsKey("anthropic");
                });
        assertThat(session.getStatus().getAccessSecretName()).isEqualTo(worker + "-access");

        awaitPool("fill", p -> ready(p) == 2 && claimed(p) == 1);
        assertThat(warmWorkers("fill")).hasSize(2).doesNotContain(worker);

        assertAdmittedUnderRestricted(env, pod);
    }

    /**
     * Issue 29: a pool in the default credentials mode (Gateway) starts workers under the Gateway label with their own
     * placeholder home; a Gateway-mode session claims one and is Running with nothing delivered to opencode, and every
     * write (the worker's placeholder Secret, the gateway key read) is within deploy/'s RBAC (checked after each test).
     */
    @Test
    void aGatewaySessionClaimsAGatewayWarmWorkerWithNothingDelivered() {
        env.admin
                .resources(CollabSessionPool.class)
                .resource(new CollabSessionPool(NS, "gwfill", new dev.collab.api.CollabSessionPoolSpec(1)))
                .create();
        pools.add("gwfill");
        awaitPool("gwfill", p -> ready(p) == 1);
        String worker = warmWorkers("gwfill").iterator().next();
        assertThat(env.admin
                        .secrets()
                        .inNamespace(NS)
                        .withName(worker + "-gateway-home")
                        .get())
                .as("the worker's placeholder home")
                .isNotNull();

        env.credentials("gw-claimer-credentials", "carol");
        CollabSessionSpec spec = new CollabSessionSpec("carol", "gw-claimer-credentials"); // Gateway: the default
        spec.setPoolRef("gwfill");
        env.create("gw-claimer", spec);
        sessions.add("gw-claimer");
        CollabSession session = awaitRunning("gw-claimer");

        assertThat(session.getStatus().getPodName()).isEqualTo(worker);
        Pod pod = env.admin.pods().inNamespace(NS).withName(worker).get();
        assertThat(pod.getMetadata().getLabels())
                .containsEntry(CollabLabels.SESSION, "gw-claimer")
                .containsEntry(CollabLabels.CREDENTIALS_MODE, CollabLabels.CREDENTIALS_MODE_GATEWAY);
        assertThat(CredentialsHandover.isPending(pod)).isFalse();
        assertThat(env.delivery.calls)
                .as("nothing delivered to the claimed worker's opencode (FAKE credential API)")
                .noneSatisfy(
                        c -> assertThat(c.endpoint()).contains(pod.getStatus().getPodIP()));
        assertAdmittedUnderRestricted(env, pod);
    }

    /**
     * Two sessions created at once against a pool whose only Ready warm worker is the last one (the FAKE kubelet
     * holds the refill back): the operator reconciles them in parallel, both conditional PUTs race on the real API
     * server, exactly one wins; the loser starts a worker of its own. Then the pool refills.
     */
    @Test
    void twoClaimersRaceForTheLastWarmWorkerExactlyOneWins() throws Exception {
        pool("race", 1);
        awaitPool("race", p -> ready(p) == 1);
        String last = warmWorkers("race").iterator().next();
        env.kubelet.holdBackWhere(p -> "race".equals(p.getMetadata().getLabels().get(CollabLabels.POOL))
                && !last.equals(p.getMetadata().getName()));
        Set<String> claimers = recordClaimers(last);

        env.credentials("ra-credentials", "alice");
        env.credentials("rb-credentials", "bob");
        Thread other = new Thread(() -> create("rb", "bob", "race"));
        other.start();
        create("ra", "alice", "race");
        other.join();
        CollabSession ra = awaitRunning("ra");
        CollabSession rb = awaitRunning("rb");

        List<String> workers =
                List.of(ra.getStatus().getPodName(), rb.getStatus().getPodName());
        assertThat(workers).as("exactly one session got the warm worker").containsOnlyOnce(last);
        String winner = ra.getStatus().getPodName().equals(last) ? "ra" : "rb";
        String loser = winner.equals("ra") ? "rb" : "ra";
        assertThat(workers).as("the loser started its own worker").contains(loser);
        assertThat(claimers).as("session labels ever written on the worker").containsExactly(winner);
        assertThat(env.admin
                        .pods()
                        .inNamespace(NS)
                        .withLabel(CollabLabels.SESSION, loser)
                        .list()
                        .getItems())
                .extracting(p -> p.getMetadata().getName())
                .containsExactly(loser);

        env.kubelet.releaseAll();
        awaitPool("race", p -> ready(p) == 1 && claimed(p) == 1);
    }

    /** What the claim relies on, without the operator: of two patches carrying the same resourceVersion, one wins. */
    @Test
    void twoDirectConditionalPatchesOfOneWarmWorkerOneGetsConflict() {
        pool("cas", 1);
        awaitPool("cas", p -> ready(p) == 1);
        String name = warmWorkers("cas").iterator().next();
        Pod first = env.operatorClient.pods().inNamespace(NS).withName(name).get();
        Pod second = env.operatorClient.pods().inNamespace(NS).withName(name).get();
        assertThat(second.getMetadata().getResourceVersion())
                .isEqualTo(first.getMetadata().getResourceVersion());
        // Two sessions that exist only in these claimers' memory. Each claim keeps the pool as the pod's owner: with
        // an absent session as owner the garbage collector could delete the pod between the two PUTs (seen: 404).
        var poolOwner = first.getMetadata().getOwnerReferences();
        Pod desired = new PodBuilder()
                .withMetadata(new ObjectMetaBuilder()
                        .withLabels(new java.util.HashMap<>(Map.of(CollabLabels.SESSION, "ghost-one")))
                        .withAnnotations(Map.of(CollabLabels.SPEC_HASH, "x", CollabLabels.CREDENTIALS_HASH, "y"))
                        .build())
                .build();

        Pod claim = WarmWorkerClaim.claimPatch(first, ghost("ghost-one"), desired, Instant.now());
        claim.getMetadata().setOwnerReferences(poolOwner);
        WarmWorkerClaim.apply(env.operatorClient, NS, name, claim);
        desired.getMetadata().getLabels().put(CollabLabels.SESSION, "ghost-two");
        Pod lateClaim = WarmWorkerClaim.claimPatch(second, ghost("ghost-two"), desired, Instant.now());
        lateClaim.getMetadata().setOwnerReferences(poolOwner);
        assertThatThrownBy(() -> WarmWorkerClaim.apply(env.operatorClient, NS, name, lateClaim))
                .isInstanceOfSatisfying(
                        KubernetesClientException.class,
                        e -> assertThat(e.getCode()).isEqualTo(409));

        assertThat(env.admin
                        .pods()
                        .inNamespace(NS)
                        .withName(name)
                        .get()
                        .getMetadata()
                        .getLabels())
                .containsEntry(CollabLabels.SESSION, "ghost-one");
        awaitPool("cas", p -> ready(p) == 1 && !warmWorkers("cas").contains(name));
        env.admin.pods().inNamespace(NS).withName(name).delete(); // its session is imaginary
    }

    @Test
    void aPoolNameTooLongForItsWorkersIsRefusedByTheApiServer() {
        String tooLong = "p".repeat(CollabSessionPool.MAX_NAME_LENGTH + 1);
        assertThatThrownBy(() -> pool(tooLong, 0))
                .isInstanceOfSatisfying(
                        KubernetesClientException.class,
                        e -> assertThat(e.getCode()).isEqualTo(422))
                .hasMessageContaining("metadata.name must be at most 57 characters: warm workers are named");
        String longest = "p".repeat(CollabSessionPool.MAX_NAME_LENGTH);
        pool(longest, 1);
        awaitPool(longest, p -> ready(p) == 1);
        assertThat(warmWorkers(longest))
                .singleElement()
                .satisfies(n -> assertThat(n).hasSize(63));
    }

    /** The claimed pod's spec, created anew under dry run: Pod Security admission judges it as a new pod. */
    static void assertAdmittedUnderRestricted(OperatorOnControlPlane env, Pod claimed) {
        assertThat(env.admin.namespaces().withName(NS).get().getMetadata().getLabels())
                .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
        Pod copy = new PodBuilder()
                .withNewMetadata()
                .withName(claimed.getMetadata().getName() + "-psa")
                .withNamespace(NS)
                .endMetadata()
                .withSpec(claimed.getSpec())
                .build();
        copy.getSpec().setNodeName(null);
        env.admin.pods().resource(copy).dryRun().create();
        // The dry run is judged for real: the same pod allowing privilege escalation is refused.
        copy.getSpec().getContainers().get(0).getSecurityContext().setAllowPrivilegeEscalation(true);
        assertThatThrownBy(() -> env.admin.pods().resource(copy).dryRun().create())
                .hasMessageContaining("violates PodSecurity \"restricted:latest\"");
    }

    static CollabSession ghost(String name) {
        CollabSession s = new CollabSession(NS, name, new CollabSessionSpec("ghost", name + "-credentials"));
        s.getMetadata().setUid(java.util.UUID.randomUUID().toString());
        return s;
    }

    /** Every collab.dev/session value the worker's pod ever carried, recorded from a watch. */
    Set<String> recordClaimers(String worker) {
        Set<String> seen = ConcurrentHashMap.newKeySet();
        recorder = env.admin
                .pods()
                .inNamespace(NS)
                .withName(worker)
                .inform(InformerHandlers.of(
                        pod -> {
                            String session = pod.getMetadata().getLabels().get(CollabLabels.SESSION);
                            if (session != null) {
                                seen.add(session);
                            }
                        },
                        pod -> {}));
        return seen;
    }

    void pool(String name, int replicas) {
        env.admin
                .resources(CollabSessionPool.class)
                .resource(new CollabSessionPool(NS, name, dev.collab.testing.Specs.seededPool(replicas)))
                .create();
        pools.add(name);
    }

    void create(String name, String owner, String pool) {
        CollabSessionSpec spec = Specs.seeded(owner, name + "-credentials");
        spec.setPoolRef(pool);
        env.create(name, spec);
        sessions.add(name);
    }

    CollabSession running(String name, String pool) {
        env.credentials(name + "-credentials", "carol");
        create(name, "carol", pool);
        return awaitRunning(name);
    }

    static CollabSession awaitRunning(String name) {
        return env.awaitSession(
                name,
                s -> s.getStatus() != null
                        && s.getStatus().getPhase() == SessionPhase.Running
                        && s.getStatus().getPodName() != null);
    }

    static CollabSessionPool awaitPool(String name, java.util.function.Predicate<CollabSessionPool> condition) {
        await().atMost(WAIT).until(() -> {
            CollabSessionPool p = env.admin
                    .resources(CollabSessionPool.class)
                    .inNamespace(NS)
                    .withName(name)
                    .get();
            return p != null && p.getStatus() != null && condition.test(p);
        });
        return env.admin
                .resources(CollabSessionPool.class)
                .inNamespace(NS)
                .withName(name)
                .get();
    }

    static int ready(CollabSessionPool pool) {
        return pool.getStatus().getReady() == null ? 0 : pool.getStatus().getReady();
    }

    static int claimed(CollabSessionPool pool) {
        return pool.getStatus().getClaimed() == null ? 0 : pool.getStatus().getClaimed();
    }

    /** Names of the pool's unclaimed, undeleted worker pods. */
    static Set<String> warmWorkers(String pool) {
        return env.admin.pods().inNamespace(NS).withLabel(CollabLabels.POOL, pool).list().getItems().stream()
                .filter(p -> WarmWorkerClaim.isWarm(p, pool) && p.getMetadata().getDeletionTimestamp() == null)
                .map(p -> p.getMetadata().getName())
                .collect(Collectors.toSet());
    }
}

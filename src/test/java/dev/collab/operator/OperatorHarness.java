package dev.collab.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPool;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.ConditionTypes;
import dev.collab.api.SessionPhase;
import dev.collab.testing.MutableClock;
import dev.collab.testing.Specs;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The operator against the Fabric8 mock API server in CRUD mode, with a fake kubelet and a test clock.
 * The mock server has no garbage collector: {@link #collectGarbage} deletes owned children explicitly.
 */
final class OperatorHarness implements AutoCloseable {
    static final String NS = "collab";
    static final Duration WAIT = Duration.ofSeconds(20);

    final KubernetesMockServer server;
    final KubernetesClient client;
    final MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
    final FakeKubelet kubelet;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final RecordingDelivery delivery = new RecordingDelivery();
    private final OperatorSettings settings;
    private final BusyProbe probe;
    Operator operator;
    /** The session reconciler of the last operator started (for its in-memory state). */
    CollabSessionReconciler reconciler;

    OperatorHarness(OperatorSettings settings, BusyProbe probe) {
        CustomResourceDefinitionContext crd = CollabSession.crdContext();
        CustomResourceDefinitionContext poolCrd = CollabSessionPool.crdContext();
        server = new KubernetesMockServer(
                new Context(Serialization.jsonMapper()),
                new MockWebServer(),
                new HashMap<>(),
                new KubernetesCrudDispatcher(List.of(crd, poolCrd)),
                false);
        server.init(java.net.InetAddress.getLoopbackAddress(), 0);
        client = server.createClient();
        kubelet = new FakeKubelet(client, clock);
        this.settings = settings;
        this.probe = probe;
        operator = startOperator();
    }

    /**
     * Another operator process on the same API server: a fresh one after a restart, or a second one while the first
     * still runs (the overlap a failover can leave when the old leader has not stopped yet).
     */
    Operator startOperator() {
        Operator started = new Operator(o -> o.withKubernetesClient(client)
                .withUseSSAToPatchPrimaryResource(false)
                .withSSABasedCreateUpdateMatchForDependentResources(false)
                .withCloseClientOnStop(false)
                .withConcurrentReconciliationThreads(4));
        reconciler = new CollabSessionReconciler(
                settings, clock, probe, delivery, operator == null ? registry : new SimpleMeterRegistry());
        started.register(reconciler, c -> c.settingNamespace(NS));
        started.register(new PoolReconciler(settings, clock), c -> c.settingNamespace(NS));
        started.start();
        return started;
    }

    OperatorHarness(OperatorSettings settings) {
        this(settings, (endpoint, password) -> BusyProbe.Answer.IDLE);
    }

    /** A credential Secret opted in for sessions of owner alice. */
    Secret credentials(String name, Map<String, String> files) {
        return credentials(name, "alice", files);
    }

    /** A credential Secret opted in for sessions of `owner` (labels collab.dev/credentials and collab.dev/owner). */
    Secret credentials(String name, String owner, Map<String, String> files) {
        return credentials(name, CollabLabels.credentialSecretLabels(owner), files);
    }

    Secret credentials(String name, Map<String, String> labels, Map<String, String> files) {
        Map<String, String> data = new HashMap<>();
        files.forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        Secret secret = new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NS)
                .withLabels(labels)
                .endMetadata()
                .withData(data)
                .build();
        return client.secrets().resource(secret).createOr(existing -> existing.update());
    }

    CollabSession create(String name, String owner, String secretName) {
        return create(name, Specs.seeded(owner, secretName));
    }

    CollabSession create(String name, CollabSessionSpec spec) {
        return client.resources(CollabSession.class)
                .resource(new CollabSession(NS, name, spec))
                .create();
    }

    CollabSession session(String name) {
        return client.resources(CollabSession.class)
                .inNamespace(NS)
                .withName(name)
                .get();
    }

    /** Waits until the session satisfies the predicate and returns it. */
    /**
     * Waits until the session has a status that meets the condition (a session whose status is not written yet, e.g.
     * right after its pod appeared or an edit raced the operator's status patch, does not meet any).
     */
    CollabSession awaitSession(String name, Predicate<CollabSession> condition) {
        try {
            await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> {
                CollabSession s = session(name);
                return s != null && s.getStatus() != null && condition.test(s);
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(
                    "session " + name + " never reached the expected state; last seen: "
                            + Serialization.asYaml(session(name)),
                    e);
        }
        return session(name);
    }

    /** Waits for phase Failed and checks the Ready condition's reason and message. */
    CollabSession assertFailed(String name, String reason, String messagePart) {
        CollabSession s = awaitSession(name, cs -> cs.getStatus().getPhase() == SessionPhase.Failed);
        Condition ready = s.getStatus().condition(ConditionTypes.READY);
        assertThat(ready.getStatus()).isEqualTo("False");
        assertThat(ready.getReason()).isEqualTo(reason);
        assertThat(ready.getMessage()).contains(messagePart);
        return s;
    }

    /** Edits the session (spec or metadata); every edit triggers a reconcile. */
    CollabSession edit(String name, java.util.function.UnaryOperator<CollabSession> change) {
        for (int attempt = 1; ; attempt++) {
            try {
                return client.resources(CollabSession.class)
                        .inNamespace(NS)
                        .withName(name)
                        .edit(change);
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                // The operator wrote status between our read and write: read again, like kubectl edit would.
                if (e.getCode() != 409 || attempt == 5) {
                    throw e;
                }
            }
        }
    }

    /** Triggers a reconcile without changing what the operator reads: used after moving the test clock. */
    void nudge(String name) {
        edit(name, s -> {
            if (s.getMetadata().getLabels() == null) {
                s.getMetadata().setLabels(new HashMap<>());
            }
            s.getMetadata().getLabels().put("test/nudge", Long.toString(System.nanoTime()));
            return s;
        });
    }

    /** What the garbage collector would do after a CollabSession is deleted (the mock server has none). */
    void collectGarbage(String uid) {
        client.pods().inNamespace(NS).list().getItems().stream()
                .filter(p -> ownedBy(p, uid))
                .forEach(p -> client.resource(p).delete());
        client.secrets().inNamespace(NS).list().getItems().stream()
                .filter(p -> ownedBy(p, uid))
                .forEach(p -> client.resource(p).delete());
        client.persistentVolumeClaims().inNamespace(NS).list().getItems().stream()
                .filter(p -> ownedBy(p, uid))
                .forEach(p -> client.resource(p).delete());
    }

    /** A pool of Seeded workers, as the pool tests before Gateway mode's warm claims (issue 29) knew them. */
    CollabSessionPool createPool(String name, int replicas) {
        return createPool(name, dev.collab.testing.Specs.seededPool(replicas));
    }

    CollabSessionPool createPool(String name, dev.collab.api.CollabSessionPoolSpec spec) {
        return client.resources(CollabSessionPool.class)
                .resource(new CollabSessionPool(NS, name, spec))
                .create();
    }

    /** The pool's pods that no session claimed and that are not being deleted. */
    List<io.fabric8.kubernetes.api.model.Pod> warmPods(String pool) {
        return poolPods(pool).stream()
                .filter(p -> !p.getMetadata().getLabels().containsKey(CollabLabels.SESSION))
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .toList();
    }

    CollabSessionPool pool(String name) {
        return client.resources(CollabSessionPool.class)
                .inNamespace(NS)
                .withName(name)
                .get();
    }

    /** Pods of the pool (warm and claimed), by label. */
    List<io.fabric8.kubernetes.api.model.Pod> poolPods(String pool) {
        return client.pods()
                .inNamespace(NS)
                .withLabel("collab.dev/pool", pool)
                .list()
                .getItems();
    }

    private static boolean ownedBy(io.fabric8.kubernetes.api.model.HasMetadata o, String uid) {
        return o.getMetadata().getOwnerReferences() != null
                && o.getMetadata().getOwnerReferences().stream().anyMatch(r -> uid.equals(r.getUid()));
    }

    @Override
    public void close() {
        operator.stop();
        kubelet.close();
        client.close();
        server.destroy();
    }
}

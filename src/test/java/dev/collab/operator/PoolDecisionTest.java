package dev.collab.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.AccessSecrets;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPool;
import dev.collab.operator.SessionPlan.PodAction;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The session decision where a CollabSessionPool is involved (pure: observations in, plan out). */
class PoolDecisionTest {
    static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
    private final OperatorSettings settings = OperatorSettings.defaults();
    private final SessionDecision decision = new SessionDecision(settings);
    private final CredentialsState auth = WorkerPodBuilderTest.creds(Map.of("auth.json", "{}"));
    private final CollabSessionPool pool =
            new CollabSessionPool("collab", "default", dev.collab.testing.Specs.seededPool(2));

    @Test
    void freshSessionWithAFittingPoolTriesAClaimWithItsOwnWorkerAsFallback() {
        CollabSession s = WorkerPodBuilderTest.session("a");
        SessionPlan plan = decide(s, auth, null, null, null, WorkerNames.of("a"), pool);
        assertThat(plan.claimFrom()).isSameAs(pool);
        assertThat(plan.podAction()).isEqualTo(PodAction.CREATE);
        assertThat(plan.ensureAccessSecret()).isTrue();
        assertThat(plan.createClaim().getMetadata().getName()).isEqualTo("a-home");
        assertThat(plan.requeueAt()).isEqualTo(NOW.plus(CredentialsHandover.RETRY));
    }

    @Test
    void freshSessionWaitsForItsCredentialsBeforeCreatingAnythingWhenAPoolExists() {
        CollabSession s = WorkerPodBuilderTest.session("a");
        CredentialsState missing = CredentialsState.of("a-creds", null, "alice");
        SessionPlan plan = decide(s, missing, null, null, null, WorkerNames.of("a"), pool);
        assertThat(plan.ensureAccessSecret()).isFalse();
        assertThat(plan.createClaim()).isNull();
        assertThat(plan.claimFrom()).isNull();
        // without a pool the HOME and access Secret are made at once, as before
        SessionPlan noPool = decide(s, missing, null, null, null, WorkerNames.of("a"), null);
        assertThat(noPool.ensureAccessSecret()).isTrue();
    }

    @Test
    void sessionThatDoesNotFitOrHasAHomeAlreadyDoesNotClaim() {
        CollabSession image = WorkerPodBuilderTest.session("a");
        image.getSpec().setImage("example.org/other:1");
        assertThat(decide(image, auth, null, null, null, WorkerNames.of("a"), pool)
                        .claimFrom())
                .isNull();

        // A stopped session's pod is gone but its HOME claim stays: waking reuses it, never the pool.
        CollabSession waking = WorkerPodBuilderTest.session("b");
        PersistentVolumeClaim home = HomeClaimBuilder.desired(waking, settings);
        SessionPlan plan = decide(waking, auth, access("b-access"), home, null, WorkerNames.of("b"), pool);
        assertThat(plan.claimFrom()).isNull();
        assertThat(plan.podAction()).isEqualTo(PodAction.CREATE);
    }

    @Test
    void claimedWorkerWakesOnItsOwnHomeUnderItsOwnNames() {
        CollabSession s = WorkerPodBuilderTest.session("a");
        WorkerNames worker = WorkerNames.of("default-x7k2p");
        PersistentVolumeClaim home = HomeClaimBuilder.desired(s, settings);
        home.getMetadata().setName(worker.homeClaim());
        SessionPlan plan = decide(s, auth, access(worker.accessSecret()), home, null, worker, pool);
        assertThat(plan.claimFrom()).isNull();
        assertThat(plan.desiredPod().getMetadata().getName()).isEqualTo("default-x7k2p");
        assertThat(plan.desiredPod().getSpec().getVolumes())
                .anyMatch(v -> v.getPersistentVolumeClaim() != null
                        && v.getPersistentVolumeClaim().getClaimName().equals("default-x7k2p-home"));
        assertThat(plan.desiredPod().getSpec().getContainers().get(0).getEnv())
                .anyMatch(e -> e.getValueFrom() != null
                        && "default-x7k2p-access"
                                .equals(e.getValueFrom().getSecretKeyRef().getName()));
    }

    @Test
    void claimedWorkersChildrenNotYetLabelledAreAdopted() {
        CollabSession s = WorkerPodBuilderTest.session("a");
        WorkerNames worker = WorkerNames.of("default-x7k2p");
        PersistentVolumeClaim home = HomeClaimBuilder.desired(s, settings);
        home.getMetadata().setName(worker.homeClaim());
        home.getMetadata().setLabels(Map.of(CollabLabels.POOL, "default"));
        home.getMetadata().setOwnerReferences(List.of());
        Secret access = access(worker.accessSecret());
        SessionPlan plan = decide(s, auth, access, home, claimed(s, worker, NOW, true), worker, pool);
        assertThat(plan.adoptAccess()).isTrue();
        assertThat(plan.claimOwned()).isTrue();
    }

    @Test
    void readyClaimedWorkerWithCredentialsPendingGetsThemHandedOverThenIsReplacedAfterTheStartTimeout() {
        CollabSession s = WorkerPodBuilderTest.session("a");
        WorkerNames worker = WorkerNames.of("default-x7k2p");
        PersistentVolumeClaim home = HomeClaimBuilder.desired(s, settings);
        home.getMetadata().setName(worker.homeClaim());
        Secret access = access(worker.accessSecret());
        access.getMetadata().setLabels(Map.of(CollabLabels.SESSION, "a"));
        home.getMetadata().setLabels(Map.of(CollabLabels.SESSION, "a"));

        SessionPlan handover =
                decide(s, auth, access, home, claimed(s, worker, NOW.minusSeconds(5), true), worker, pool);
        assertThat(handover.podAction()).isEqualTo(PodAction.HANDOVER);
        assertThat(handover.requeueAt()).isEqualTo(NOW.plus(CredentialsHandover.RETRY));

        Instant longAgo = NOW.minus(settings.startTimeout()).minus(Duration.ofSeconds(1));
        SessionPlan replace = decide(s, auth, access, home, claimed(s, worker, longAgo, true), worker, pool);
        assertThat(replace.podAction()).isEqualTo(PodAction.REPLACE);
        assertThat(replace.event().reason()).isEqualTo("CredentialsNotDelivered");

        SessionPlan delivered =
                decide(s, auth, access, home, claimed(s, worker, NOW.minusSeconds(5), false), worker, pool);
        assertThat(delivered.podAction()).isNotIn(PodAction.HANDOVER, PodAction.REPLACE);
    }

    private SessionPlan decide(
            CollabSession s,
            CredentialsState credentials,
            Secret access,
            PersistentVolumeClaim claim,
            Pod pod,
            WorkerNames names,
            CollabSessionPool pool) {
        Observation in = new Observation(
                s,
                NOW,
                null,
                credentials,
                access,
                claim,
                pod,
                pod == null ? null : PodView.of(pod, 4096),
                null,
                names,
                pool,
                List.of(),
                null,
                false);
        return decision.decide(in, ProbeFindings.NONE.with(ProbeFindings.Answer.ANSWERED));
    }

    /** A claimed warm worker as the kubelet reports it Ready: the session's desired pod under the worker's names. */
    private Pod claimed(CollabSession s, WorkerNames names, Instant claimedAt, boolean pending) {
        Pod desired = WorkerPodBuilder.desired(s, settings, auth, names);
        desired.getMetadata().getAnnotations().put(CollabLabels.CREATED_AT, claimedAt.toString());
        if (pending) {
            desired.getMetadata().getAnnotations().put(CollabLabels.CREDENTIALS_PENDING, "true");
        }
        return new PodBuilder(desired)
                .editMetadata()
                .withUid("pod-uid")
                .endMetadata()
                .withNewStatus()
                .withPodIP("10.0.0.7")
                .withStartTime(claimedAt.toString())
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .endCondition()
                .endStatus()
                .build();
    }

    private static Secret access(String name) {
        return new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withData(AccessSecrets.sessionData("token", "pw"))
                .build();
    }
}

package dev.collab.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.AccessSecrets;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionStatus;
import dev.collab.api.SessionPhase;
import dev.collab.api.StoppedReason;
import dev.collab.api.StorageSpec;
import dev.collab.operator.ProbeFindings.Request.Kind;
import dev.collab.operator.SessionPlan.PodAction;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pure reconcile decision: observations and probe findings in, a plan out. No client, no network. */
class SessionDecisionTest {
    static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
    private final OperatorSettings settings = OperatorSettings.defaults();
    private final SessionDecision decision = new SessionDecision(settings);
    private final CredentialsState creds = WorkerPodBuilderTest.creds(Map.of("auth.json", "{}"));

    @Test
    void aNewSessionGetsAccessSecretClaimAndPodAndIsLookedAtAgainAfterTheStartTimeout() {
        CollabSession s = WorkerPodBuilderTest.session("a");
        SessionPlan plan = decision.decide(observe(s, null, null, null), ProbeFindings.NONE);
        assertThat(plan.probe()).isNull();
        assertThat(plan.ensureAccessSecret()).isTrue();
        assertThat(plan.createClaim().getMetadata().getName()).isEqualTo("a-home");
        assertThat(plan.podAction()).isEqualTo(PodAction.CREATE);
        assertThat(plan.admitUnderCaps()).as("no caps configured").isFalse();
        assertThat(plan.desiredPod().getMetadata().getAnnotations())
                .containsEntry(CollabLabels.CREATED_AT, NOW.toString());
        assertThat(plan.event().reason()).isEqualTo("Started");
        assertThat(plan.requeueAt()).isEqualTo(NOW.plus(settings.startTimeout()).plusSeconds(1));
        assertThat(plan.stop()).isNull();

        SessionDecision capped = new SessionDecision(settings.withCaps(0, 1));
        assertThat(capped.decide(observe(s, access(), claim(s), null), ProbeFindings.NONE)
                        .admitUnderCaps())
                .isTrue();
    }

    @Test
    void aPodThatNeverStartsIsLookedAtOnceWhenItsStartTimeoutPassesAndThenOnlyOnEvents() {
        CollabSession s = WorkerPodBuilderTest.session("a");
        Pod pending = readyPod(s, NOW.minusSeconds(10));
        pending.getStatus().setConditions(java.util.List.of());
        pending.getStatus().setPodIP(null);
        SessionPlan young = decision.decide(observe(s, access(), claim(s), pending), ProbeFindings.NONE);
        assertThat(young.requeueAt())
                .isEqualTo(NOW.minusSeconds(10).plus(settings.startTimeout()).plusSeconds(1));

        Pod stuck = readyPod(s, NOW.minus(settings.startTimeout()).minusSeconds(60));
        stuck.getStatus().setConditions(java.util.List.of());
        stuck.getStatus().setPodIP(null);
        SessionPlan old = decision.decide(observe(s, access(), claim(s), stuck), ProbeFindings.NONE);
        assertThat(old.podAction()).isEqualTo(PodAction.KEEP);
        assertThat(old.requeueAt())
                .as("only future deadlines (here the idle one): a past one would requeue every 100 ms")
                .isAfter(NOW);
    }

    @Test
    void anInvalidSpecCreatesNothingAndLeavesThePodAlone() {
        CollabSession s = WorkerPodBuilderTest.session("a");
        Observation bad =
                new Observation(s, NOW, new SpecProblem("MissingOwner", "x"), null, null, null, null, null, null);
        SessionPlan plan = decision.decide(bad, ProbeFindings.NONE);
        assertThat(plan.ensureAccessSecret()).isFalse();
        assertThat(plan.createClaim()).isNull();
        assertThat(plan.podAction()).isEqualTo(PodAction.KEEP);
    }

    @Test
    void pastTheIdleDeadlineTheBusyProbeDecides() {
        CollabSession s = WorkerPodBuilderTest.session("a");
        Pod pod = readyPod(s, NOW.minus(Duration.ofHours(1)));
        Observation in = observe(s, access(), claim(s), pod);

        SessionPlan ask = decision.decide(in, ProbeFindings.NONE);
        assertThat(ask.probe().kind()).isEqualTo(Kind.BUSY);
        assertThat(ask.probe().serverPassword()).isEqualTo("pw");
        assertThat(ask.probe().endpoint()).isEqualTo("http://10.0.0.7:4096");

        SessionPlan busy = decision.decide(in, found(BusyProbe.Answer.BUSY, 0));
        assertThat(busy.podAction()).isEqualTo(PodAction.KEEP);
        assertThat(busy.lastActivity()).as("a working agent counts as activity").isEqualTo(NOW);
        assertThat(busy.requeueAt()).isEqualTo(NOW.plus(settings.idleTimeout()));

        SessionPlan idle = decision.decide(in, found(BusyProbe.Answer.IDLE, 0));
        assertThat(idle.podAction()).isEqualTo(PodAction.DELETE);
        assertThat(idle.stop()).isEqualTo(new Stop(StoppedReason.IdleTimeout, NOW));
        assertThat(idle.event().reason()).isEqualTo("IdleStopped");

        SessionPlan retry = decision.decide(in, found(BusyProbe.Answer.UNREACHABLE, 1));
        assertThat(retry.podAction()).isEqualTo(PodAction.KEEP);
        assertThat(retry.requeueAt()).isEqualTo(NOW.plus(SessionDecision.PROBE_RETRY));

        SessionPlan giveUp =
                decision.decide(in, found(BusyProbe.Answer.UNREACHABLE, SessionDecision.MAX_UNREACHABLE_PROBES));
        assertThat(giveUp.stop().reason()).isEqualTo(StoppedReason.IdleTimeout);
    }

    @Test
    void beforeTheIdleDeadlineNoProbeAndARequeueAtTheDeadline() {
        CollabSession s = WorkerPodBuilderTest.session("a");
        Pod pod = readyPod(s, NOW.minusSeconds(60));
        // The pod has answered already: no answer probe either.
        SessionPlan plan = decision.decide(
                observe(s, access(), claim(s), pod), ProbeFindings.NONE.with(ProbeFindings.Answer.ANSWERED));
        assertThat(plan.probe()).isNull();
        assertThat(plan.podAction()).isEqualTo(PodAction.KEEP);
        assertThat(plan.requeueAt()).isEqualTo(NOW.minusSeconds(60).plus(settings.idleTimeout()));
    }

    @Test
    void suspendStopsOnceAndAnnouncesOnlyTheTransition() {
        CollabSession s = WorkerPodBuilderTest.session("a");
        s.getSpec().setSuspend(true);
        Pod pod = readyPod(s, NOW.minusSeconds(60));
        SessionPlan plan = decision.decide(observe(s, access(), claim(s), pod), ProbeFindings.NONE);
        assertThat(plan.podAction()).isEqualTo(PodAction.DELETE);
        assertThat(plan.stop().reason()).isEqualTo(StoppedReason.Suspended);
        assertThat(plan.settleCapacity()).isTrue();
        assertThat(plan.event().reason()).isEqualTo("Suspended");

        s.setStatus(stoppedStatus(StoppedReason.Suspended, null));
        assertThat(decision.decide(observe(s, access(), claim(s), null), ProbeFindings.NONE)
                        .event())
                .as("already reported as Suspended")
                .isNull();
    }

    @Test
    void aPendingCapacityStopHoldsUntilNewerActivityThenTheSessionWakes() {
        CollabSession s = WorkerPodBuilderTest.session("a");
        Pod pod = readyPod(s, NOW.minusSeconds(60));
        Stop pending = new Stop(StoppedReason.CapacityEvicted, NOW.minusSeconds(5));
        SessionPlan evicted = decision.decide(observe(s, access(), claim(s), pod, pending), ProbeFindings.NONE);
        assertThat(evicted.podAction()).isEqualTo(PodAction.DELETE);
        assertThat(evicted.stop()).isEqualTo(pending);
        assertThat(evicted.event())
                .as("announced by the session whose start caused it")
                .isNull();

        s.getMetadata()
                .setAnnotations(
                        Map.of(CollabLabels.LAST_ACTIVITY, NOW.minusSeconds(1).toString()));
        s.setStatus(stoppedStatus(StoppedReason.CapacityEvicted, NOW.minusSeconds(5)));
        SessionPlan woken = decision.decide(observe(s, access(), claim(s), null, pending), ProbeFindings.NONE);
        assertThat(woken.pendingStopWoken()).isEqualTo(pending);
        assertThat(woken.podAction()).isEqualTo(PodAction.CREATE);
        assertThat(woken.event().reason()).isEqualTo("Woken");
    }

    @Test
    void aChangedSpecOrCredentialReplacesThePodAndATerminatingPodIsAwaited() {
        CollabSession s = WorkerPodBuilderTest.session("a");
        Pod pod = readyPod(s, NOW.minusSeconds(60));
        pod.getMetadata().getAnnotations().put(CollabLabels.SPEC_HASH, "old");
        SessionPlan replace = decision.decide(observe(s, access(), claim(s), pod), ProbeFindings.NONE);
        assertThat(replace.podAction()).isEqualTo(PodAction.REPLACE);
        assertThat(replace.event().reason()).isEqualTo("PodReplaced");

        pod.getMetadata().getAnnotations().put(CollabLabels.CREDENTIALS_HASH, "sha256:old");
        assertThat(decision.decide(observe(s, access(), claim(s), pod), ProbeFindings.NONE)
                        .event()
                        .reason())
                .isEqualTo("CredentialsRotated");

        pod.getMetadata().setDeletionTimestamp(NOW.toString());
        SessionPlan waiting = decision.decide(observe(s, access(), claim(s), pod), ProbeFindings.NONE);
        assertThat(waiting.podAction()).isEqualTo(PodAction.KEEP);
        assertThat(waiting.event()).isNull();
    }

    @Test
    void aReadyPodThatAnswersNoneOfThreeRequestsIsRestarted() {
        CollabSession s = WorkerPodBuilderTest.session("a");
        Pod pod = readyPod(s, NOW.minusSeconds(60));
        Observation in = observe(s, access(), claim(s), pod);
        SessionPlan ask = decision.decide(in, ProbeFindings.NONE);
        assertThat(ask.probe().kind()).isEqualTo(Kind.ANSWER);
        assertThat(ask.probe().podUid()).isEqualTo("pod-uid");

        Instant retry = NOW.plus(AnswerWatch.RETRY);
        SessionPlan patient = decision.decide(
                in, ProbeFindings.NONE.with(new ProbeFindings.Answer(false, AnswerWatch.TRIES - 1, retry)));
        assertThat(patient.podAction()).isEqualTo(PodAction.KEEP);
        assertThat(patient.requeueAt()).isEqualTo(retry);

        SessionPlan restart =
                decision.decide(in, ProbeFindings.NONE.with(new ProbeFindings.Answer(false, AnswerWatch.TRIES, retry)));
        assertThat(restart.podAction()).isEqualTo(PodAction.RESTART_UNRESPONSIVE);
        assertThat(restart.event().reason()).isEqualTo("Unresponsive");
        assertThat(restart.event().warning()).isTrue();
    }

    @Test
    void aBusyAgentHoldsTheStopOnlyUntilBusyMax() {
        CollabSession s = WorkerPodBuilderTest.session("a");
        Pod pod = readyPod(
                s, NOW.minus(settings.idleTimeout()).minus(settings.busyMax()).minusSeconds(1));
        SessionPlan plan = decision.decide(observe(s, access(), claim(s), pod), found(BusyProbe.Answer.BUSY, 0));
        assertThat(plan.podAction()).isEqualTo(PodAction.DELETE);
        assertThat(plan.stop().reason()).isEqualTo(StoppedReason.IdleTimeout);
        assertThat(plan.event().reason()).isEqualTo("BusyLimitReached");
        assertThat(plan.event().warning()).isTrue();

        Pod younger = readyPod(s, NOW.minus(settings.idleTimeout()).minusSeconds(60)); // busy, limit 2h away
        SessionPlan held = decision.decide(observe(s, access(), claim(s), younger), found(BusyProbe.Answer.BUSY, 0));
        assertThat(held.podAction()).isEqualTo(PodAction.KEEP);
        assertThat(held.lastActivity()).isEqualTo(NOW);
    }

    @Test
    void retainOnDeleteFlipsTheClaimsOwnership() {
        CollabSession s = WorkerPodBuilderTest.session("a");
        s.getSpec().setStorage(new StorageSpec());
        s.getSpec().getStorage().setRetainOnDelete(true);
        SessionPlan plan = decision.decide(
                observe(s, access(), claim(WorkerPodBuilderTest.session("a")), null), ProbeFindings.NONE);
        assertThat(plan.claimOwned()).isFalse();
        assertThat(plan.createClaim()).isNull();
    }

    private Observation observe(CollabSession s, Secret access, PersistentVolumeClaim claim, Pod pod) {
        return observe(s, access, claim, pod, null);
    }

    private Observation observe(CollabSession s, Secret access, PersistentVolumeClaim claim, Pod pod, Stop pending) {
        return new Observation(
                s, NOW, null, creds, access, claim, pod, pod == null ? null : PodView.of(pod, 4096), pending);
    }

    private static ProbeFindings found(BusyProbe.Answer answer, int unreachableInARow) {
        return ProbeFindings.NONE
                .with(new ProbeFindings.Busy(answer, unreachableInARow))
                .with(ProbeFindings.Answer.ANSWERED);
    }

    /** The desired pod as the kubelet would report it Ready, created at `createdAt`. */
    private Pod readyPod(CollabSession s, Instant createdAt) {
        Pod desired = WorkerPodBuilder.desired(s, settings, creds);
        desired.getMetadata().getAnnotations().put(CollabLabels.CREATED_AT, createdAt.toString());
        return new PodBuilder(desired)
                .editMetadata()
                .withUid("pod-uid")
                .endMetadata()
                .withNewStatus()
                .withPodIP("10.0.0.7")
                .withStartTime(createdAt.toString())
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .endCondition()
                .endStatus()
                .build();
    }

    private static Secret access() {
        return new SecretBuilder()
                .withData(AccessSecrets.sessionData("token", "pw"))
                .build();
    }

    private static PersistentVolumeClaim claim(CollabSession s) {
        return new PersistentVolumeClaimBuilder(HomeClaimBuilder.desired(s, OperatorSettings.defaults())).build();
    }

    private static CollabSessionStatus stoppedStatus(StoppedReason reason, Instant at) {
        CollabSessionStatus st = new CollabSessionStatus();
        st.setPhase(SessionPhase.Stopped);
        st.setStoppedReason(reason);
        st.setStoppedAt(at == null ? null : at.toString());
        return st;
    }
}

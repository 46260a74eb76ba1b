package dev.collab.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.AccessSecrets;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionStatus;
import dev.collab.api.ConditionReasons;
import dev.collab.api.ConditionTypes;
import dev.collab.api.SessionPhase;
import dev.collab.operator.ProbeFindings.Request.Kind;
import dev.collab.operator.SessionPlan.PodAction;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The pure drain before a pod is replaced for new credentials (or a changed spec): decision and status, step by step,
 * with the busy check's answers given by hand. No client, no network, no clock.
 */
class PodDrainTest {
    static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
    private final OperatorSettings settings = OperatorSettings.defaults();
    private final SessionDecision decision = new SessionDecision(settings);
    private final CredentialsState uploaded = WorkerPodBuilderTest.creds(Map.of("auth.json", "{\"new\":1}"));
    private final CredentialsState before = WorkerPodBuilderTest.creds(Map.of("auth.json", "{\"old\":1}"));

    @Test
    void anUploadFirstWithdrawsThePublishedEndpointAndKeepsThePod() {
        CollabSession s = running();
        SessionPlan plan = decision.decide(observe(s, readyPod(s, before), NOW), ProbeFindings.NONE);
        assertThat(plan.podAction()).isEqualTo(PodAction.DRAIN);
        assertThat(plan.probe())
                .as("no busy check before routers can have seen the withdrawal")
                .isNull();
        assertThat(plan.event().reason()).isEqualTo("CredentialsRotated");
        assertThat(plan.event().message()).contains("endpoint withdrawn").contains("at most 30s");
        assertThat(plan.requeueAt()).isEqualTo(NOW);

        CollabSessionStatus withdrawn = status(s, draining(s), NOW);
        assertThat(withdrawn.getEndpoint()).as("routers hold new requests").isNull();
        assertThat(withdrawn.getPhase()).isEqualTo(SessionPhase.Starting);
        var ready = withdrawn.condition(ConditionTypes.READY);
        assertThat(ready.getStatus()).isEqualTo("False");
        assertThat(ready.getReason()).isEqualTo(ConditionReasons.POD_DRAINING);
        assertThat(ready.getMessage()).contains("new credentials");
        assertThat(ready.getLastTransitionTime()).isEqualTo(NOW.toString());
        assertThat(withdrawn.getPodName()).isEqualTo("a");
        assertThat(withdrawn.getCredentialsHash()).as("still the running pod's").isEqualTo(before.hash());
        assertThat(PodDrain.withdrawnAt(withdrawn)).isEqualTo(NOW);
    }

    @Test
    void aWithdrawnPodIsAskedWhetherBusyAndReplacedOnceIdle() {
        CollabSession s = withdrawnAt(NOW);
        Instant later = NOW.plusSeconds(3);
        Observation in = observe(s, readyPod(s, before), later);
        SessionPlan ask = decision.decide(in, ProbeFindings.NONE);
        assertThat(ask.probe().kind()).isEqualTo(Kind.DRAIN);
        assertThat(ask.probe().endpoint()).isEqualTo("http://10.0.0.7:4096");
        assertThat(ask.probe().serverPassword()).isEqualTo("pw");

        SessionPlan pending = decision.decide(in, busy(null));
        assertThat(pending.podAction()).isEqualTo(PodAction.DRAIN);
        assertThat(pending.requeueAt())
                .as("the answer wakes it; at the latest at drain-max")
                .isEqualTo(NOW.plus(settings.drainMax()));

        SessionPlan working = decision.decide(in, busy(BusyProbe.Answer.BUSY));
        assertThat(working.podAction()).isEqualTo(PodAction.DRAIN);
        assertThat(working.event()).as("announced once, at the withdrawal").isNull();
        assertThat(working.requeueAt())
                .as("asked again; each check waits the settle time")
                .isEqualTo(later);
        assertThat(status(s, draining(s), later).getConditions())
                .as("the withdrawal time stays")
                .filteredOn(c -> c.getType().equals(ConditionTypes.READY))
                .singleElement()
                .satisfies(c -> assertThat(c.getLastTransitionTime()).isEqualTo(NOW.toString()));

        SessionPlan idle = decision.decide(in, busy(BusyProbe.Answer.IDLE));
        assertThat(idle.podAction()).isEqualTo(PodAction.REPLACE);
        assertThat(idle.event()).isNull();
    }

    @Test
    void anUnansweredCheckWaitsWhileThePodIsReadyAndReplacesAPodThatIsNot() {
        CollabSession s = withdrawnAt(NOW);
        Pod pod = readyPod(s, before);
        assertThat(decision.decide(observe(s, pod, NOW.plusSeconds(2)), busy(BusyProbe.Answer.UNREACHABLE))
                        .podAction())
                .as("loaded, not gone: its agent may still be answering")
                .isEqualTo(PodAction.DRAIN);
        pod.getStatus().setConditions(java.util.List.of());
        assertThat(decision.decide(observe(s, pod, NOW.plusSeconds(2)), busy(BusyProbe.Answer.UNREACHABLE))
                        .podAction())
                .isEqualTo(PodAction.REPLACE);
    }

    @Test
    void aBusyAgentHoldsThePodAtMostDrainMax() {
        CollabSession s = withdrawnAt(NOW);
        SessionPlan plan = decision.decide(
                observe(s, readyPod(s, before), NOW.plus(settings.drainMax())), busy(BusyProbe.Answer.BUSY));
        assertThat(plan.probe()).isNull();
        assertThat(plan.podAction()).isEqualTo(PodAction.REPLACE);
        assertThat(plan.event().reason()).isEqualTo("DrainTimedOut");
        assertThat(plan.event().warning()).isTrue();
    }

    @Test
    void aPodWithNoPublishedEndpointOrDrainingOffIsReplacedAtOnce() {
        CollabSession s = running();
        s.getStatus().setEndpoint(null);
        SessionPlan plan = decision.decide(observe(s, readyPod(s, before), NOW), ProbeFindings.NONE);
        assertThat(plan.podAction()).isEqualTo(PodAction.REPLACE);
        assertThat(plan.event().message()).doesNotContain("withdrawn");

        SessionDecision off = new SessionDecision(settings.withDrainMax(Duration.ZERO));
        CollabSession published = running();
        assertThat(off.decide(observe(published, readyPod(published, before), NOW), ProbeFindings.NONE)
                        .podAction())
                .isEqualTo(PodAction.REPLACE);
    }

    @Test
    void credentialsChangedBackDuringTheDrainPublishTheSamePodAgain() {
        CollabSession s = withdrawnAt(NOW);
        Pod pod = readyPod(s, uploaded); // the pod already runs what is desired now
        SessionPlan plan = decision.decide(
                observe(s, pod, NOW.plusSeconds(2)), ProbeFindings.NONE.with(ProbeFindings.Answer.ANSWERED));
        assertThat(plan.podAction()).isEqualTo(PodAction.KEEP);
        CollabSessionStatus back = status(s, PodView.of(pod, 4096), NOW.plusSeconds(2));
        assertThat(back.getEndpoint()).isEqualTo("http://10.0.0.7:4096");
        assertThat(back.getPhase()).isEqualTo(SessionPhase.Running);
        assertThat(PodDrain.withdrawnAt(back)).isNull();
    }

    /** A session whose status publishes its Ready pod's endpoint. */
    private CollabSession running() {
        CollabSession s = WorkerPodBuilderTest.session("a");
        s.setStatus(status(s, PodView.of(readyPod(s, before), 4096), NOW.minusSeconds(60)));
        assertThat(s.getStatus().getEndpoint()).isNotNull();
        return s;
    }

    /** A running session whose endpoint was withdrawn for the drain at {@code at}. */
    private CollabSession withdrawnAt(Instant at) {
        CollabSession s = running();
        s.setStatus(status(s, draining(s), at));
        return s;
    }

    private PodView draining(CollabSession s) {
        return PodView.of(readyPod(s, before), 4096).drainingCopy();
    }

    private CollabSessionStatus status(CollabSession s, PodView view, Instant at) {
        var claim = new PersistentVolumeClaimBuilder()
                .withNewStatus()
                .withPhase("Bound")
                .endStatus()
                .build();
        return StatusBuilder.build(new StatusBuilder.Observed(
                s, null, uploaded, "a-access", claim, view, null, null, settings.startTimeout(), at));
    }

    private Observation observe(CollabSession s, Pod pod, Instant now) {
        var access = new SecretBuilder()
                .withData(AccessSecrets.sessionData("token", "pw"))
                .build();
        var claim = new PersistentVolumeClaimBuilder(HomeClaimBuilder.desired(s, settings)).build();
        return new Observation(s, now, null, uploaded, access, claim, pod, PodView.of(pod, 4096), null);
    }

    private static ProbeFindings busy(BusyProbe.Answer answer) {
        return ProbeFindings.NONE
                .with(answer == null ? ProbeFindings.Busy.PENDING : new ProbeFindings.Busy(answer, 0))
                .with(ProbeFindings.Answer.ANSWERED);
    }

    /** The worker pod as desired for {@code creds}, Ready at 10.0.0.7. */
    private Pod readyPod(CollabSession s, CredentialsState creds) {
        Pod desired = WorkerPodBuilder.desired(s, settings, creds);
        desired.getMetadata()
                .getAnnotations()
                .put(CollabLabels.CREATED_AT, NOW.minusSeconds(120).toString());
        return new PodBuilder(desired)
                .editMetadata()
                .withUid("pod-uid")
                .endMetadata()
                .withNewStatus()
                .withPodIP("10.0.0.7")
                .withStartTime(NOW.minusSeconds(120).toString())
                .addNewCondition()
                .withType("Ready")
                .withStatus("True")
                .endCondition()
                .endStatus()
                .build();
    }
}

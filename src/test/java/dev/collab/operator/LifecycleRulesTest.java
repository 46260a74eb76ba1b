package dev.collab.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CollabSessionStatus;
import dev.collab.api.ConditionTypes;
import dev.collab.api.SessionPhase;
import dev.collab.api.StoppedReason;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pure rules behind the lifecycle: stop/wake decisions, idle deadline, capacity victims, status. */
class LifecycleRulesTest {
    static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");

    @Test
    void suspendedAlwaysStopsAndIdleStopHoldsUntilNewerActivity() {
        CollabSession s = session("a", "alice");
        s.getSpec().setSuspend(true);
        assertThat(Lifecycle.currentStop(s, null).reason()).isEqualTo(StoppedReason.Suspended);

        CollabSession idle = stopped("b", StoppedReason.IdleTimeout, T0);
        assertThat(Lifecycle.currentStop(idle, T0.minusSeconds(1)).reason()).isEqualTo(StoppedReason.IdleTimeout);
        assertThat(Lifecycle.currentStop(idle, T0))
                .as("activity at the stop moment is not newer")
                .isNotNull();
        assertThat(Lifecycle.currentStop(idle, T0.plusSeconds(1))).isNull();
        assertThat(Lifecycle.isWake(idle)).isTrue();
    }

    @Test
    void lastActivityIsTheNewerOfAnnotationAndRecordedBusyTime() {
        CollabSession s = session("a", "alice");
        s.getMetadata().setAnnotations(Map.of(CollabLabels.LAST_ACTIVITY, T0.toString()));
        s.setStatus(new CollabSessionStatus());
        s.getStatus().setLastActivityTime(T0.plusSeconds(30).toString());
        assertThat(Lifecycle.lastActivity(s)).isEqualTo(T0.plusSeconds(30));
        s.getMetadata().setAnnotations(Map.of(CollabLabels.LAST_ACTIVITY, "not a time"));
        assertThat(Lifecycle.lastActivity(s)).isEqualTo(T0.plusSeconds(30));
    }

    @Test
    void idleDeadlineCountsFromActivityOrPodStart() {
        PodView pod = new PodView("a", false, true, "http://x:1", 0, T0.toString(), T0, "h", "c", null);
        assertThat(Lifecycle.idleDeadline(null, pod, Duration.ofMinutes(30)))
                .isEqualTo(T0.plus(Duration.ofMinutes(30)));
        assertThat(Lifecycle.idleDeadline(T0.plusSeconds(600), pod, Duration.ofMinutes(30)))
                .isEqualTo(T0.plusSeconds(600).plus(Duration.ofMinutes(30)));
        assertThat(Lifecycle.idleDeadline(T0, pod, Duration.ZERO))
                .as("0 disables eviction")
                .isNull();
    }

    @Test
    void busyGuardHoldsAtMostBusyMaxPastTheIdleDeadlineOfClientActivity() {
        PodView pod = new PodView("a", false, true, "http://x:1", 0, T0.toString(), T0, "h", "c", null);
        CollabSession s = session("a", "alice");
        Duration idle = Duration.ofMinutes(30);
        Duration max = Duration.ofHours(2);
        assertThat(Lifecycle.busyLimit(s, pod, idle, max))
                .as("no client activity: from the pod start")
                .isEqualTo(T0.plus(idle).plus(max));
        s.getMetadata()
                .setAnnotations(
                        Map.of(CollabLabels.LAST_ACTIVITY, T0.plusSeconds(600).toString()));
        s.setStatus(new CollabSessionStatus());
        s.getStatus().setLastActivityTime(T0.plus(Duration.ofHours(5)).toString()); // recorded by the busy guard itself
        assertThat(Lifecycle.busyLimit(s, pod, idle, max))
                .as("the guard's own records do not extend the limit")
                .isEqualTo(T0.plusSeconds(600).plus(idle).plus(max));
        assertThat(Lifecycle.busyLimit(s, pod, idle, Duration.ZERO))
                .as("0 = no bound")
                .isNull();
        assertThat(Lifecycle.busyLimit(s, pod, Duration.ZERO, max))
                .as("no idle stop, nothing to bound")
                .isNull();
    }

    @Test
    void capacityPicksTheLeastRecentlyActiveInScope() {
        CollabSession starting = session("new", "alice");
        var a1 = running("a1", "alice", T0);
        var a2 = running("a2", "alice", T0.plusSeconds(100));
        var b1 = running("b1", "bob", T0.minusSeconds(100));

        assertThat(CapacityGate.victims(starting, List.of(a1, a2, b1), 0, 0)).isEmpty();
        assertThat(CapacityGate.victims(starting, List.of(a1, a2, b1), 4, 0)).isEmpty();
        assertThat(CapacityGate.victims(starting, List.of(a1, a2, b1), 3, 0)).containsExactly(b1);
        assertThat(CapacityGate.victims(starting, List.of(a1, a2, b1), 0, 2)).containsExactly(a1);
        // The per-owner eviction also frees a cluster slot: no second victim needed.
        assertThat(CapacityGate.victims(starting, List.of(a1, a2, b1), 3, 2)).containsExactly(a1);
        assertThat(CapacityGate.victims(starting, List.of(a1, a2, b1), 2, 2)).containsExactly(a1, b1);
    }

    @Test
    void statusKeepsTransitionTimesAndReportsEveryCondition() {
        CollabSession s = session("a", "alice");
        s.getMetadata().setGeneration(3L);
        PodView ready =
                new PodView("a", false, true, "http://10.0.0.1:4096", 1, T0.toString(), T0, "h", "sha256:c", null);
        var claim = new PersistentVolumeClaimBuilder()
                .withNewStatus()
                .withPhase("Bound")
                .endStatus()
                .build();
        var creds = WorkerPodBuilderTest.creds(Map.of("auth.json", "{}"));
        CollabSessionStatus first = StatusBuilder.build(new StatusBuilder.Observed(
                s, null, creds, "a-access", claim, ready, null, null, Duration.ofMinutes(5), T0.plusSeconds(5)));
        assertThat(first.getPhase()).isEqualTo(SessionPhase.Running);
        assertThat(first.getEndpoint()).isEqualTo("http://10.0.0.1:4096");
        assertThat(first.getObservedGeneration()).isEqualTo(3L);
        assertThat(first.getConditions())
                .extracting(c -> c.getType())
                .containsExactly(
                        ConditionTypes.CREDENTIALS_READY,
                        ConditionTypes.STORAGE_READY,
                        ConditionTypes.READY,
                        ConditionTypes.IDLE);
        assertThat(first.getConditions())
                .allSatisfy(c -> assertThat(c.getObservedGeneration()).isEqualTo(3L));

        s.setStatus(first);
        CollabSessionStatus same = StatusBuilder.build(new StatusBuilder.Observed(
                s, null, creds, "a-access", claim, ready, null, null, Duration.ofMinutes(5), T0.plusSeconds(60)));
        assertThat(same).as("nothing changed: no status patch").isEqualTo(first);

        CollabSessionStatus stopped = StatusBuilder.build(new StatusBuilder.Observed(
                s,
                null,
                creds,
                "a-access",
                claim,
                null,
                new Stop(StoppedReason.IdleTimeout, T0.plusSeconds(90)),
                null,
                Duration.ofMinutes(5),
                T0.plusSeconds(90)));
        assertThat(stopped.getPhase()).isEqualTo(SessionPhase.Stopped);
        assertThat(stopped.getEndpoint()).isNull();
        assertThat(stopped.condition(ConditionTypes.READY).getLastTransitionTime())
                .isEqualTo(T0.plusSeconds(90).toString());
        assertThat(stopped.condition(ConditionTypes.CREDENTIALS_READY).getLastTransitionTime())
                .isEqualTo(T0.plusSeconds(5).toString());
        assertThat(stopped.isConditionTrue(ConditionTypes.IDLE)).isTrue();
    }

    @Test
    void podFailuresCarryTheKubeletsReason() {
        var pod = new io.fabric8.kubernetes.api.model.PodBuilder()
                .withNewMetadata()
                .withName("a")
                .endMetadata()
                .withNewStatus()
                .addNewContainerStatus()
                .withName("opencode")
                .withRestartCount(3)
                .withNewState()
                .withNewWaiting()
                .withReason("CrashLoopBackOff")
                .withMessage("back-off 40s")
                .endWaiting()
                .endState()
                .endContainerStatus()
                .endStatus()
                .build();
        PodView view = PodView.of(pod, 4096);
        assertThat(view.failure().reason()).isEqualTo("CrashLoopBackOff");
        assertThat(view.failure().message()).contains("back-off 40s");
        assertThat(view.restartCount()).isEqualTo(3);
        assertThat(view.ready()).isFalse();
        assertThat(view.endpoint()).isNull();
    }

    private static CollabSession session(String name, String owner) {
        CollabSession s = new CollabSession("ns", name, new CollabSessionSpec(owner, name + "-creds"));
        s.getMetadata().setUid("uid-" + name);
        return s;
    }

    private static CollabSession stopped(String name, StoppedReason reason, Instant at) {
        CollabSession s = session(name, "alice");
        CollabSessionStatus st = new CollabSessionStatus();
        st.setPhase(SessionPhase.Stopped);
        st.setStoppedReason(reason);
        st.setStoppedAt(at.toString());
        s.setStatus(st);
        return s;
    }

    private static CapacityGate.Running running(String name, String owner, Instant lastActive) {
        return new CapacityGate.Running(session(name, owner), owner, lastActive);
    }
}

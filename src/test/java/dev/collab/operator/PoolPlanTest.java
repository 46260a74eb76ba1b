package dev.collab.operator;

import static dev.collab.operator.PoolPlan.PodState.FAILED;
import static dev.collab.operator.PoolPlan.PodState.MISSING;
import static dev.collab.operator.PoolPlan.PodState.READY;
import static dev.collab.operator.PoolPlan.PodState.STARTING;
import static dev.collab.operator.PoolPlan.PodState.TERMINATING;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.collab.operator.PoolPlan.Decision;
import dev.collab.operator.PoolPlan.Worker;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pool controller's decisions, from observed workers only. */
class PoolPlanTest {
    private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");

    private static Worker w(String name, PoolPlan.PodState pod) {
        return new Worker(name, pod, true, true, false);
    }

    @Test
    void emptyPoolCreatesTheDesiredCount() {
        assertEquals(new Decision(3, List.of(), 0, 0), PoolPlan.decide(3, List.of()));
    }

    @Test
    void fullPoolDoesNothingAndCountsReadyWorkers() {
        Decision d = PoolPlan.decide(2, List.of(w("p-a", READY), w("p-b", STARTING)));
        assertEquals(new Decision(0, List.of(), 2, 1), d);
    }

    @Test
    void failedWorkerIsRemovedAndReplaced() {
        Decision d = PoolPlan.decide(2, List.of(w("p-a", READY), w("p-b", FAILED)));
        assertEquals(List.of("p-b"), d.remove());
        assertEquals(1, d.create());
        assertEquals(1, d.warm());
    }

    @Test
    void outdatedWorkerIsRemovedAndReplaced() {
        Decision d = PoolPlan.decide(1, List.of(new Worker("p-a", READY, true, true, true)));
        assertEquals(List.of("p-a"), d.remove());
        assertEquals(1, d.create());
    }

    @Test
    void terminatingWorkerIsNeitherCountedNorTouched() {
        Decision d = PoolPlan.decide(1, List.of(w("p-a", TERMINATING)));
        assertEquals(new Decision(1, List.of(), 0, 0), d);
    }

    @Test
    void incompleteWorkerIsReplacedNeverCompleted() {
        // a claim without its pod may be left from a claimed worker: a new pod on it could hand its HOME on
        Decision d = PoolPlan.decide(2, List.of(w("p-a", MISSING), new Worker("p-b", READY, true, false, false)));
        assertEquals(List.of("p-a", "p-b"), d.remove());
        assertEquals(2, d.create());
    }

    @Test
    void scaleDownRemovesTheLeastUsefulFirst() {
        Decision d = PoolPlan.decide(1, List.of(w("p-a", STARTING), w("p-b", READY), w("p-c", STARTING)));
        assertEquals(new Decision(0, List.of("p-c", "p-a"), 1, 1), d);
    }

    @Test
    void scaleToZeroRemovesEverything() {
        assertEquals(
                List.of("p-a"), PoolPlan.decide(0, List.of(w("p-a", READY))).remove());
    }

    @Test
    void podStateFromTheKubeletReport() {
        Duration timeout = Duration.ofMinutes(5);
        assertEquals(MISSING, PoolPlan.stateOf(null, timeout, T0));
        assertEquals(READY, PoolPlan.stateOf(view(true, false, null, T0), timeout, T0));
        assertEquals(TERMINATING, PoolPlan.stateOf(view(true, true, null, T0), timeout, T0));
        assertEquals(STARTING, PoolPlan.stateOf(view(false, false, null, T0), timeout, T0.plusSeconds(299)));
        assertEquals(FAILED, PoolPlan.stateOf(view(false, false, null, T0), timeout, T0.plusSeconds(300)));
        assertEquals(
                FAILED,
                PoolPlan.stateOf(
                        view(false, false, new PodView.Failure("CrashLoopBackOff", "x"), T0),
                        timeout,
                        T0.plusSeconds(1)));
    }

    private static PodView view(boolean ready, boolean terminating, PodView.Failure failure, Instant created) {
        return new PodView(
                "p-a",
                terminating,
                ready,
                ready ? "http://10.0.0.1:4096" : null,
                0,
                null,
                created,
                "h",
                "none",
                failure);
    }
}

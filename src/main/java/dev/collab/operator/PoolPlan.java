package dev.collab.operator;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What the pool controller does next, decided from what it observed (pure: no client, no clock of its own).
 * A warm worker is the triple pod + HOME claim + access Secret sharing one name; claimed workers belong to
 * their sessions and are only counted.
 */
public final class PoolPlan {

    /** How a warm worker's pod is doing. */
    public enum PodState {
        MISSING,
        STARTING,
        READY,
        FAILED,
        TERMINATING
    }

    /** One warm (unclaimed) worker as observed; {@code outdated}: its pod runs another template than the pool's. */
    public record Worker(String name, PodState pod, boolean hasClaim, boolean hasAccess, boolean outdated) {}

    /**
     * @param create how many new workers to create
     * @param remove workers to delete (pod, claim and Secret): failed, outdated, incomplete or beyond the desired count
     * @param warm   warm workers that remain (starting or ready), for status.replicas
     * @param ready  of those, ready to be claimed
     */
    public record Decision(int create, List<String> remove, int warm, int ready) {}

    private PoolPlan() {}

    public static Decision decide(int desired, List<Worker> workers) {
        List<String> remove = new ArrayList<>();
        List<Worker> live = new ArrayList<>();
        for (Worker w : workers) {
            // An incomplete worker is never completed: a claim without its pod may be what is left of a worker a
            // session claimed (its pod deleted before the session adopted the claim), and a new pod on it would
            // hand that HOME to the next session. It is removed and a fresh worker made instead.
            boolean incomplete = w.pod() == PodState.MISSING || !w.hasClaim() || !w.hasAccess();
            if (w.pod() == PodState.FAILED || w.outdated() || (incomplete && w.pod() != PodState.TERMINATING)) {
                remove.add(w.name());
            } else if (w.pod() != PodState.TERMINATING) {
                live.add(w);
            }
        }
        // Beyond the desired count, drop the least useful first: starting, then ready.
        live.sort(Comparator.comparingInt(PoolPlan::usefulness).reversed().thenComparing(Worker::name));
        while (live.size() > Math.max(0, desired)) {
            remove.add(live.remove(live.size() - 1).name());
        }
        int ready = (int) live.stream().filter(w -> w.pod() == PodState.READY).count();
        return new Decision(Math.max(0, desired - live.size()), remove, live.size(), ready);
    }

    private static int usefulness(Worker w) {
        return switch (w.pod()) {
            case READY -> 2;
            case STARTING -> 1;
            default -> 0;
        };
    }

    /**
     * A pod's state from what the kubelet reported: a pod the kubelet gave a blocking failure (crash loop, image,
     * init failure) or that is not ready within the start timeout is FAILED, and replaced by a fresh worker.
     */
    public static PodState stateOf(PodView view, Duration startTimeout, Instant now) {
        if (view == null) {
            return PodState.MISSING;
        }
        if (view.terminating()) {
            return PodState.TERMINATING;
        }
        if (view.ready()) {
            return PodState.READY;
        }
        if (view.failure() != null) {
            return PodState.FAILED;
        }
        boolean late =
                view.createdAt() != null && !now.isBefore(view.createdAt().plus(startTimeout));
        return late ? PodState.FAILED : PodState.STARTING;
    }
}

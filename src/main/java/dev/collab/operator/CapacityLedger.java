package dev.collab.operator;

import dev.collab.api.CollabSession;
import dev.collab.api.StoppedReason;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The leader's memory of capacity decisions that the informer cache does not show yet: sessions admitted
 * whose pod has not reached the cache, and sessions evicted whose status has not been written yet.
 * Admission is serialised here, so two sessions starting at once never both take the last slot.
 */
final class CapacityLedger {
    /** An admitted session whose pod never appears stops counting after this long. */
    private static final Duration ADMISSION_MEMORY = Duration.ofSeconds(60);

    private final Map<ResourceID, Instant> admitted = new ConcurrentHashMap<>();
    private final Map<ResourceID, Stop> pendingStops = new ConcurrentHashMap<>();

    /**
     * Admits `starting` under the caps; returns the sessions that must stop for it (already recorded as
     * pending CapacityEvicted stops).
     */
    synchronized List<CollabSession> admit(
            CollabSession starting,
            Stream<CollabSession> all,
            Predicate<CollabSession> hasPod,
            Function<CollabSession, Instant> lastActive,
            int maxRunning,
            int maxRunningPerOwner,
            Instant now) {
        ResourceID startingId = ResourceID.fromResource(starting);
        admitted.values().removeIf(at -> at.isBefore(now.minus(ADMISSION_MEMORY)));
        List<CapacityGate.Running> running = all.filter(
                        s -> !ResourceID.fromResource(s).equals(startingId))
                .filter(s -> !pendingStops.containsKey(ResourceID.fromResource(s)))
                .filter(s -> hasPod.test(s) || admitted.containsKey(ResourceID.fromResource(s)))
                .map(s -> new CapacityGate.Running(
                        s, s.getSpec() == null ? null : s.getSpec().getOwner(), lastActive.apply(s)))
                .toList();
        List<CollabSession> victims = CapacityGate.victims(starting, running, maxRunning, maxRunningPerOwner).stream()
                .map(CapacityGate.Running::session)
                .toList();
        for (CollabSession victim : victims) {
            ResourceID id = ResourceID.fromResource(victim);
            pendingStops.put(id, new Stop(StoppedReason.CapacityEvicted, now));
            admitted.remove(id);
        }
        admitted.put(startingId, now);
        return victims;
    }

    /** A capacity stop decided by another session's admission and not yet in its status, or null. */
    Stop pendingStop(ResourceID id) {
        return pendingStops.get(id);
    }

    /** Activity came after this pending stop: it no longer applies (unless another admission replaced it). */
    void woken(ResourceID id, Stop stop) {
        pendingStops.remove(id, stop);
    }

    /** The stop is in the session's status now (or the session is gone): forget it. */
    void settled(ResourceID id) {
        pendingStops.remove(id);
    }

    /** The admitted pod is in the cache: the cache counts it from now on. */
    void podSeen(ResourceID id) {
        admitted.remove(id);
    }
}

package dev.collab.operator;

import dev.collab.api.CollabSession;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Pure capacity rule of docs/DESIGN.md section 4: if starting this session would exceed a cap, which running
 * session (least recently active, of the same owner for the per-owner cap) must stop first.
 */
public final class CapacityGate {

    /** A running session as the gate sees it. */
    public record Running(CollabSession session, String owner, Instant lastActive) {}

    private CapacityGate() {}

    /**
     * Sessions to evict so that `starting` fits; empty when it fits already. `running` excludes `starting`.
     */
    public static List<Running> victims(
            CollabSession starting, Collection<Running> running, int maxRunning, int maxRunningPerOwner) {
        String owner = starting.getSpec().getOwner();
        List<Running> sameOwner =
                running.stream().filter(r -> Objects.equals(r.owner(), owner)).toList();
        Optional<Running> ownerVictim = maxRunningPerOwner > 0 && sameOwner.size() >= maxRunningPerOwner
                ? leastRecentlyActive(sameOwner)
                : Optional.empty();
        if (maxRunning > 0) {
            int afterOwnerEviction = running.size() - (ownerVictim.isPresent() ? 1 : 0);
            if (afterOwnerEviction >= maxRunning) {
                Optional<Running> clusterVictim = leastRecentlyActive(running.stream()
                        .filter(r -> ownerVictim.map(v -> v != r).orElse(true))
                        .toList());
                return java.util.stream.Stream.concat(ownerVictim.stream(), clusterVictim.stream())
                        .toList();
            }
        }
        return ownerVictim.stream().toList();
    }

    private static Optional<Running> leastRecentlyActive(List<Running> candidates) {
        Function<Running, Instant> key = r -> r.lastActive() == null ? Instant.EPOCH : r.lastActive();
        return candidates.stream()
                .min(Comparator.comparing(key)
                        .thenComparing(r -> r.session().getMetadata().getName()));
    }
}

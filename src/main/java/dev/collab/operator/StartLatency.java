package dev.collab.operator;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What a session's start took, measured when it becomes Ready. A pod created before its session is a claimed warm
 * worker: the session waited from its own creation. Otherwise (a new session, a wake, a restart) the session waited
 * from its pod's creation: for a new session that is within milliseconds of its creation, and a woken session's
 * creation is long past. Time queued behind capacity caps before the pod exists is not included (it shows as phase
 * Pending).
 */
final class StartLatency {
    record Measured(boolean warm, Duration latency) {}

    private StartLatency() {}

    static Optional<Measured> of(Instant sessionCreated, Instant podCreated, Instant now) {
        if (podCreated == null) {
            return Optional.empty();
        }
        boolean warm = sessionCreated != null && podCreated.isBefore(sessionCreated);
        Duration latency = Duration.between(warm ? sessionCreated : podCreated, now);
        return Optional.of(new Measured(warm, latency.isNegative() ? Duration.ZERO : latency));
    }
}

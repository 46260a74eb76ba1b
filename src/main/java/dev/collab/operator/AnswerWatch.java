package dev.collab.operator;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which worker pod of each session has answered an authenticated request since it became Ready, and how often a
 * Ready pod has not. A pod is asked until it answers once, at most every {@link #RETRY}; after {@link #TRIES}
 * unanswered requests it counts as hung. The maps hold at most one pod per session.
 */
final class AnswerWatch {
    /** Unanswered requests (each with the probe's timeout of a few seconds) before a Ready pod counts as hung. */
    static final int TRIES = 3;

    static final Duration RETRY = Duration.ofSeconds(5);

    private record Failing(String podUid, int failures, Instant lastTry) {}

    private final Map<ResourceID, String> answered = new ConcurrentHashMap<>();
    private final Map<ResourceID, Failing> failing = new ConcurrentHashMap<>();

    boolean hasAnswered(ResourceID session, String podUid) {
        return podUid.equals(answered.get(session));
    }

    void answered(ResourceID session, String podUid) {
        answered.put(session, podUid);
        failing.remove(session);
    }

    /** When this pod may be asked again: null when now (never asked, or RETRY after its last unanswered request). */
    Instant nextTry(ResourceID session, String podUid, Instant now) {
        Failing f = failing.get(session);
        if (f == null || !f.podUid().equals(podUid)) {
            return null;
        }
        Instant next = f.lastTry().plus(RETRY);
        return now.isBefore(next) ? next : null;
    }

    /** How many requests in a row this pod has left unanswered so far. */
    int unansweredSoFar(ResourceID session, String podUid) {
        Failing f = failing.get(session);
        return f == null || !f.podUid().equals(podUid) ? 0 : f.failures();
    }

    /** Records an unanswered request to this pod; returns how many in a row it has not answered. */
    int unanswered(ResourceID session, String podUid, Instant now) {
        return failing.compute(
                        session,
                        (k, f) -> f != null && f.podUid().equals(podUid)
                                ? new Failing(podUid, f.failures() + 1, now)
                                : new Failing(podUid, 1, now))
                .failures();
    }

    void forget(ResourceID session) {
        answered.remove(session);
        failing.remove(session);
    }

    /** The sessions this watch holds an entry for. */
    Set<ResourceID> sessions() {
        Set<ResourceID> all = new HashSet<>(answered.keySet());
        all.addAll(failing.keySet());
        return all;
    }
}

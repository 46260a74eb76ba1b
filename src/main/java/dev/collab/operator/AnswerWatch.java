package dev.collab.operator;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which worker pod of each session has answered HTTP since it became Ready, and since when a Ready pod has
 * not. A pod is checked until it answers once; the maps hold at most one pod per session.
 */
final class AnswerWatch {
    private record Failing(String podUid, Instant since) {
    }

    private final Map<ResourceID, String> answered = new ConcurrentHashMap<>();
    private final Map<ResourceID, Failing> failing = new ConcurrentHashMap<>();

    boolean hasAnswered(ResourceID session, String podUid) {
        return podUid.equals(answered.get(session));
    }

    void answered(ResourceID session, String podUid) {
        answered.put(session, podUid);
        failing.remove(session);
    }

    /** When this pod was first seen Ready but not answering. */
    Instant failingSince(ResourceID session, String podUid, Instant now) {
        return failing.compute(session, (k, f) -> f != null && f.podUid().equals(podUid) ? f : new Failing(podUid, now))
                .since();
    }

    void forget(ResourceID session) {
        answered.remove(session);
        failing.remove(session);
    }
}

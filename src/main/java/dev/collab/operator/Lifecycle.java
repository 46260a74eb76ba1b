package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionStatus;
import dev.collab.api.SessionStates;
import dev.collab.api.StoppedReason;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;

/** Pure lifecycle rules of docs/DESIGN.md section 4: when a session must be stopped, when it wakes, when it idles out. */
public final class Lifecycle {

    private Lifecycle() {}

    /** Newest of the router's activity annotation and the activity the operator itself recorded (busy agent). */
    public static Instant lastActivity(CollabSession session) {
        Map<String, String> annotations = session.getMetadata().getAnnotations();
        Instant annotated = annotations == null ? null : parseOrNull(annotations.get(CollabLabels.LAST_ACTIVITY));
        Instant recorded = session.getStatus() == null
                ? null
                : parseOrNull(session.getStatus().getLastActivityTime());
        return max(annotated, recorded);
    }

    /** Why the session must have no pod right now, or null when it should run. */
    public static Stop currentStop(CollabSession session, Instant lastActivity) {
        if (session.getSpec() != null && session.getSpec().isSuspend()) {
            return new Stop(StoppedReason.Suspended, null);
        }
        CollabSessionStatus status = session.getStatus();
        if (!SessionStates.wakesOnActivity(status)) {
            return null;
        }
        Instant stoppedAt = parseOrNull(status.getStoppedAt());
        if (stoppedAt == null) {
            return null;
        }
        boolean woken = lastActivity != null && lastActivity.isAfter(stoppedAt);
        return woken ? null : new Stop(status.getStoppedReason(), stoppedAt);
    }

    /**
     * True when the status still says stopped for idleness or capacity: called once {@link #currentStop} found
     * no stop, it means activity has come since, and this start is a wake.
     */
    public static boolean isWake(CollabSession session) {
        return SessionStates.wakesOnActivity(session.getStatus());
    }

    /**
     * The moment a running session becomes idle: its last activity (or, before any, its pod's start) plus
     * the timeout; null when idle eviction is off.
     */
    public static Instant idleDeadline(Instant lastActivity, PodView pod, Duration timeout) {
        if (timeout.isZero() || pod == null) {
            return null;
        }
        Instant reference = max(lastActivity, max(parseOrNull(pod.startedAt()), pod.createdAt()));
        return reference == null ? null : reference.plus(timeout);
    }

    /**
     * The latest moment a busy agent may keep a running session: its idle deadline counted from client activity
     * only (the router's annotation, not the activity the busy guard recorded) plus {@code busyMax}; null when
     * idle eviction is off or the guard is unbounded.
     */
    public static Instant busyLimit(CollabSession session, PodView pod, Duration timeout, Duration busyMax) {
        if (busyMax.isZero()) {
            return null;
        }
        Map<String, String> annotations = session.getMetadata().getAnnotations();
        Instant clientActivity = annotations == null ? null : parseOrNull(annotations.get(CollabLabels.LAST_ACTIVITY));
        Instant deadline = idleDeadline(clientActivity, pod, timeout);
        return deadline == null ? null : deadline.plus(busyMax);
    }

    static Instant max(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        return b == null || a.isAfter(b) ? a : b;
    }

    static Instant parseOrNull(String timestamp) {
        if (timestamp == null || timestamp.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(timestamp);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}

package dev.collab.api;

/** Readings of a session's status that operator, router and local node share. */
public final class SessionStates {

    private SessionStates() {}

    /** Stopped for idleness or capacity: the next request (activity) starts it again. */
    public static boolean wakesOnActivity(CollabSessionStatus status) {
        return status != null
                && status.getPhase() == SessionPhase.Stopped
                && status.getStoppedReason() != null
                && status.getStoppedReason().wakesOnActivity();
    }

    /** Stopped for exactly this reason. */
    public static boolean isStoppedFor(CollabSessionStatus status, StoppedReason reason) {
        return status != null && status.getPhase() == SessionPhase.Stopped && status.getStoppedReason() == reason;
    }
}

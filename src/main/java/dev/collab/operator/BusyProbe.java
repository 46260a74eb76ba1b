package dev.collab.operator;

/** Asks a session's opencode whether any of its agent sessions is working right now, and whether it answers at all. */
public interface BusyProbe {

    enum Answer { BUSY, IDLE, UNREACHABLE }

    Answer check(String endpoint, String serverPassword);

    /** Whether opencode answers an authenticated request at all (any HTTP status): a hung one does not. */
    default boolean answers(String endpoint, String serverPassword) {
        return check(endpoint, serverPassword) != Answer.UNREACHABLE;
    }
}

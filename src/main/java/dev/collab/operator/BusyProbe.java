package dev.collab.operator;

/** Asks a session's opencode whether any of its agent sessions is working right now. */
public interface BusyProbe {

    enum Answer { BUSY, IDLE, UNREACHABLE }

    Answer check(String endpoint, String serverPassword);
}

package dev.collab.api;

/** Why a session with phase Stopped has no pod. IdleTimeout and CapacityEvicted wake on activity. */
public enum StoppedReason {
    Suspended, IdleTimeout, CapacityEvicted;

    public boolean wakesOnActivity() {
        return this != Suspended;
    }
}

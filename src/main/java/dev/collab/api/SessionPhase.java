package dev.collab.api;

/** Where a session is in its life; the names are the CRD's enum values. */
public enum SessionPhase {
    Pending, Starting, Running, Stopped, Failed
}

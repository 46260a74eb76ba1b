package dev.collab.api;

/** Condition types and reasons of a CollabSession (docs/DESIGN.md section 2). */
public final class ConditionTypes {
    public static final String READY = "Ready";
    public static final String CREDENTIALS_READY = "CredentialsReady";
    public static final String STORAGE_READY = "StorageReady";
    public static final String IDLE = "Idle";
    /** True while an account of the session's credential pool needs a new login (Gateway mode). */
    public static final String RELOGIN_REQUIRED = "ReloginRequired";

    private ConditionTypes() {}
}

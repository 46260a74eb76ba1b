package dev.collab.api;

/** Reasons of the Kubernetes Events the operator records on a CollabSession (docs/DESIGN.md section 4). */
public final class EventReasons {
    public static final String STARTED = "Started";
    public static final String WOKEN = "Woken";
    public static final String POD_REPLACED = "PodReplaced";
    public static final String CREDENTIALS_ROTATED = "CredentialsRotated";
    public static final String UNRESPONSIVE = "Unresponsive";
    public static final String IDLE_STOPPED = "IdleStopped";
    public static final String SUSPENDED = "Suspended";
    public static final String CAPACITY_EVICTED = "CapacityEvicted";
    public static final String READY = "Ready";
    public static final String FAILED = "Failed";
    public static final String BUSY_LIMIT_REACHED = "BusyLimitReached";
    /** An agent was still busy collab.session.drain-max after its pod was withdrawn: replaced anyway. */
    public static final String DRAIN_TIMED_OUT = "DrainTimedOut";
    /** Credential gateway: an account of the session's pool needs a new login (its refresh token was refused). */
    public static final String RELOGIN_REQUIRED = "ReloginRequired";
    /** Credential gateway: the owner's daily token or request budget is used up; requests get 429 until it resets. */
    public static final String BUDGET_EXHAUSTED = "BudgetExhausted";

    /** Credential gateway: the egress proxy refused a connection (host not allowed, forbidden address, budget). */
    public static final String EGRESS_DENIED = "EgressDenied";

    private EventReasons() {}
}

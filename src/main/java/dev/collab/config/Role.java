package dev.collab.config;

/** What this process of the one artifact does. */
public enum Role {
    /** Reconciles CollabSessions into pods, PVCs and Secrets. */
    operator,
    /** Proxies session traffic and serves the collab app's endpoints. */
    router,
    /** Embedded API + operator + router + local node on one machine, no cluster. */
    local;

    public boolean runsOperator() {
        return this != router;
    }

    public boolean runsRouter() {
        return this != operator;
    }
}

package dev.collab.config;

/** What this process of the one artifact does. */
public enum Role {
    /** Reconciles CollabSessions into pods, PVCs and Secrets. */
    operator,
    /** Proxies session traffic and serves the collab app's endpoints. */
    router,
    /** Adds the real provider credential to the requests of Gateway-mode session pods. */
    gateway,
    /** Embedded API + operator + router + gateway + local node on one machine, no cluster. */
    local;

    public boolean runsOperator() {
        return this == operator || this == local;
    }

    public boolean runsRouter() {
        return this == router || this == local;
    }

    public boolean runsGateway() {
        return this == gateway || this == local;
    }
}

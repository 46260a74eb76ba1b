package dev.collab.api;

/** How a session pod gets its provider credentials (DESIGN.md section 8). */
public enum CredentialsMode {
    /** The credential Secret is copied into the session HOME: the pod holds the real key. */
    Seeded,
    /** HOME gets placeholders bound to the session; the gateway swaps in the real key outside the pod. */
    Gateway;

    /** The mode a session runs in: its spec's, or the configured default when the spec leaves it unset. */
    public static CredentialsMode effective(CollabSessionSpec spec, CredentialsMode configuredDefault) {
        CredentialsMode own = spec == null || spec.getCredentials() == null
                ? null
                : spec.getCredentials().getMode();
        return own != null ? own : configuredDefault;
    }
}

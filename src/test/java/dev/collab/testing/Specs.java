package dev.collab.testing;

import dev.collab.api.CollabSessionPoolSpec;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CredentialsMode;

/**
 * Specs of tests about Seeded mode (the credential Secret in HOME, warm claims): since Gateway became the default
 * (issue 24) they name their mode, as a user who wants Seeded does. Gateway mode has tests of its own.
 */
public final class Specs {
    private Specs() {}

    public static CollabSessionSpec seeded(String owner, String credentialsSecret) {
        CollabSessionSpec spec = new CollabSessionSpec(owner, credentialsSecret);
        spec.getCredentials().setMode(CredentialsMode.Seeded);
        return spec;
    }

    /**
     * What the real-opencode tests give every worker: offline, as their fake endpoints are (a models.dev fetch that
     * hangs on an unreachable network stalls a prompt and the UI's provider list), and no self-update.
     */
    public static final java.util.List<io.fabric8.kubernetes.api.model.EnvVar> OFFLINE_OPENCODE = java.util.List.of(
            new io.fabric8.kubernetes.api.model.EnvVar("OPENCODE_DISABLE_MODELS_FETCH", "true", null),
            new io.fabric8.kubernetes.api.model.EnvVar("OPENCODE_DISABLE_AUTOUPDATE", "true", null));

    /** A Gateway-mode spec with {@link #OFFLINE_OPENCODE} (the real-opencode tests' Gateway session). */
    public static CollabSessionSpec offlineGateway(String owner, String credentialsSecret) {
        CollabSessionSpec spec = new CollabSessionSpec(owner, credentialsSecret);
        spec.getCredentials().setMode(CredentialsMode.Gateway);
        spec.setEnv(OFFLINE_OPENCODE);
        return spec;
    }

    /** A pool of Seeded warm workers (its template names the mode, as the sessions that claim from it do). */
    public static CollabSessionPoolSpec seededPool(int replicas) {
        CollabSessionPoolSpec spec = new CollabSessionPoolSpec(replicas);
        spec.getTemplate().setCredentialsMode(CredentialsMode.Seeded);
        return spec;
    }
}

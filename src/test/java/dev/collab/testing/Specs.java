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

    /** A pool of Seeded warm workers (its template names the mode, as the sessions that claim from it do). */
    public static CollabSessionPoolSpec seededPool(int replicas) {
        CollabSessionPoolSpec spec = new CollabSessionPoolSpec(replicas);
        spec.getTemplate().setCredentialsMode(CredentialsMode.Seeded);
        return spec;
    }
}

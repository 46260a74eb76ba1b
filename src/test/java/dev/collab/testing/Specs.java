package dev.collab.testing;

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
}

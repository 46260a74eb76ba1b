package dev.collab.operator;

import dev.collab.api.AccessSecrets;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.function.Supplier;

/**
 * Desired Secret `<name>-access`: the session token clients present to the router and the password the
 * router sends to opencode. Created once; the operator never rewrites it (deleting it rotates both).
 */
public final class AccessSecretBuilder {
    private AccessSecretBuilder() {}

    public static Secret desired(CollabSession session) {
        return desired(session, AccessSecrets::newToken);
    }

    static Secret desired(CollabSession session, Supplier<String> tokens) {
        return withMetadata(
                ChildMetadata.of(
                                session,
                                CollabLabels.accessSecretName(
                                        session.getMetadata().getName()),
                                CollabLabels.ROLE_ACCESS,
                                true)
                        .build(),
                tokens);
    }

    /** A fresh token and server password under the given metadata (a session's or a warm worker's). */
    static Secret withMetadata(ObjectMeta meta, Supplier<String> tokens) {
        return new SecretBuilder()
                .withMetadata(meta)
                .withType("Opaque")
                .withData(AccessSecrets.sessionData(tokens.get(), tokens.get()))
                .build();
    }
}

package dev.collab.router;

import dev.collab.api.CollabLabels;
import dev.collab.api.SecretWrites;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Writes an owner's pool Secret with the rules every other writer of it follows (docs/DESIGN.md section 8): an update
 * guarded by the resourceVersion it read, read again and decided again on 409, so a login, a removal, a token refresh
 * and a rotation that land at once all survive. Only a Secret opted in for this owner is written ({@link
 * UploadTarget}); a missing one is created with the owner's labels and no owner reference, like an upload's.
 * Blocking: worker threads only.
 */
final class PoolWrites {
    /** What an edit reads and returns: the Secret's data (base64 values) and annotations. */
    record Contents(Map<String, String> data, Map<String, String> annotations) {
        Contents {
            data = data == null ? Map.of() : data;
            annotations = annotations == null ? Map.of() : annotations;
        }
    }

    private static final int ATTEMPTS = 10;

    private final SecretWrites secrets;

    PoolWrites(SecretWrites secrets) {
        this.secrets = secrets;
    }

    /** The pool Secret as it is now, or null when it does not exist yet. */
    Secret read(OwnerPools.Pool pool) {
        return secrets.get(pool.namespace(), pool.secret());
    }

    /** The Secret after {@code edit}; {@code create}: a missing Secret is created, else 404. */
    Secret edit(OwnerPools.Pool pool, String owner, boolean create, UnaryOperator<Contents> edit) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Secret read = read(pool);
            if (read == null) {
                if (!create) {
                    throw new AccountEdits.Refused(404, "Secret " + pool + " has no accounts yet: log one in first");
                }
                Contents next = edit.apply(new Contents(Map.of(), Map.of()));
                Secret made = secrets.create(new SecretBuilder()
                        .withNewMetadata()
                        .withNamespace(pool.namespace())
                        .withName(pool.secret())
                        .withLabels(CollabLabels.credentialSecretLabels(owner))
                        .withAnnotations(next.annotations())
                        .endMetadata()
                        .withType("Opaque")
                        .withData(next.data())
                        .build());
                if (made != null) {
                    return made;
                }
                continue; // created meanwhile (another login): edit that one
            }
            String refusal = UploadTarget.refusal(read, owner).orElse(null);
            if (refusal != null) {
                throw new AccountEdits.Refused(409, refusal);
            }
            Contents next =
                    edit.apply(new Contents(read.getData(), read.getMetadata().getAnnotations()));
            Secret written = secrets.update(
                    read,
                    b -> b.withData(new HashMap<>(next.data()))
                            .editMetadata()
                            .withAnnotations(new HashMap<>(next.annotations()))
                            .endMetadata());
            if (written != null) {
                return written;
            }
        }
        throw new AccountEdits.Refused(503, "Secret " + pool + " kept changing under this edit; try again");
    }
}

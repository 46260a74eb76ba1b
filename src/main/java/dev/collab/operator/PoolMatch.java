package dev.collab.operator;

import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPool;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CredentialKey;
import dev.collab.api.PoolTemplate;
import dev.collab.api.StorageSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Whether a new session may run on a pool's warm worker (pure). The worker was started from the pool's template
 * and cannot change without a restart, so the session's effective image, resources and storage must equal the
 * template's, it may add no env, and every credential it has must be deliverable through opencode's API.
 * Sessions in Gateway credentials mode never claim: their worker mounts the placeholder home Secret.
 */
public final class PoolMatch {
    /** Keys opencode's API can install into a running worker ({@code PUT /auth/{provider}}). */
    static final Set<CredentialKey> DELIVERABLE = Set.of(CredentialKey.AUTH);

    private PoolMatch() {}

    /** The pool a session claims from: spec.poolRef, else the namespace's pool named "default". */
    public static String poolName(CollabSession session) {
        String ref = session.getSpec() == null ? null : session.getSpec().getPoolRef();
        return ref == null || ref.isBlank() ? CollabSessionPool.DEFAULT_POOL : ref;
    }

    /** Why the session cannot use the pool's workers, or empty when it can. */
    public static Optional<String> mismatch(
            CollabSession session, CollabSessionPool pool, CredentialsState credentials, OperatorSettings settings) {
        CollabSessionSpec spec = session.getSpec();
        // A warm worker was seeded without the gateway's placeholder HOME and base URL; handing it over is not built.
        if (WorkerPodBuilder.gatewayMode(spec, settings)) {
            return Optional.of("Gateway mode sessions start their own worker");
        }
        PoolTemplate t = pool.getSpec().getTemplate();
        if (!WorkerPodBuilder.image(spec.getImage(), settings).equals(WorkerPodBuilder.image(t.getImage(), settings))) {
            return Optional.of("its image differs from the pool's");
        }
        if (!Objects.equals(
                WorkerPodBuilder.resources(spec.getResources(), settings),
                WorkerPodBuilder.resources(t.getResources(), settings))) {
            return Optional.of("its resources differ from the pool's");
        }
        StorageSpec storage = spec.getStorage() == null ? new StorageSpec() : spec.getStorage();
        if (!Objects.equals(size(storage.getSize(), settings), size(t.getStorageSize(), settings))
                || !Objects.equals(
                        storageClass(storage.getStorageClassName(), settings),
                        PoolWorkerBuilder.storageClass(t, settings))) {
            return Optional.of("its storage differs from the pool's");
        }
        if (spec.getEnv() != null && !spec.getEnv().isEmpty()) {
            return Optional.of("it sets env, which a running worker cannot take");
        }
        if (!DELIVERABLE.containsAll(credentials.keys())) {
            return Optional.of("its credential Secret has keys opencode's API cannot install (only auth.json can be)");
        }
        return Optional.empty();
    }

    private static Quantity size(Quantity size, OperatorSettings settings) {
        return size != null ? size : new Quantity(settings.storageSize());
    }

    private static String storageClass(String cls, OperatorSettings settings) {
        String effective = cls == null || cls.isBlank() ? settings.storageClass() : cls;
        return effective == null || effective.isBlank() ? null : effective;
    }
}

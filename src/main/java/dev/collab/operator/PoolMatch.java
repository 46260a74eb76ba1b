package dev.collab.operator;

import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPool;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CredentialKey;
import dev.collab.api.CredentialsMode;
import dev.collab.api.PoolTemplate;
import dev.collab.api.StorageSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Whether a new session may run on a pool's warm worker (pure). The worker was started from the pool's template
 * and cannot change without a restart, so the session's effective image, resources and storage must equal the
 * template's, it may add no env, and its effective credentials mode must be the pool's. Seeded: every credential it
 * has must be deliverable through opencode's API. Gateway: its placeholder files must be a warm worker's
 * ({@link WarmGatewayHome}); nothing is delivered, the gateway maps the worker to the session.
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

    /** Why a Seeded session cannot use the pool's workers, or empty when it can. */
    public static Optional<String> mismatch(
            CollabSession session, CollabSessionPool pool, CredentialsState credentials, OperatorSettings settings) {
        return mismatch(session, pool, credentials, false, settings);
    }

    /**
     * Why the session cannot use the pool's workers, or empty when it can. {@code fitsWarmGatewayWorker}: see
     * {@link Observation}.
     */
    public static Optional<String> mismatch(
            CollabSession session,
            CollabSessionPool pool,
            CredentialsState credentials,
            boolean fitsWarmGatewayWorker,
            OperatorSettings settings) {
        CollabSessionSpec spec = session.getSpec();
        PoolTemplate t = pool.getSpec().getTemplate();
        CredentialsMode mode =
                CredentialsMode.effective(spec, settings.gateway().defaultMode());
        CredentialsMode poolMode = PoolWorkerBuilder.mode(t, settings);
        if (mode != poolMode) {
            return Optional.of("it runs in " + mode + " credentials mode, the pool's workers in " + poolMode);
        }
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
        if (mode == CredentialsMode.Gateway) {
            return fitsWarmGatewayWorker
                    ? Optional.empty()
                    : Optional.of("its credential Secret yields other placeholder files than a warm worker's (one"
                            + " Anthropic api key in auth.json, or accounts.json)");
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

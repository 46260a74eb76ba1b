package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPool;
import dev.collab.api.PoolTemplate;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Desired children of one warm worker {@code <pool>-<suffix>}: its access Secret (own token and server password),
 * its HOME claim and its pod, labelled with the pool and owned by it, with no session label and no credential.
 */
public final class PoolWorkerBuilder {
    /** Warm workers have no credentials: the hash the pod records for "nothing seeded". */
    static final String NO_CREDENTIALS = "none";

    private PoolWorkerBuilder() {}

    public static Secret access(CollabSessionPool pool, WorkerNames names) {
        return AccessSecretBuilder.withMetadata(
                meta(pool, names.accessSecret(), CollabLabels.ROLE_ACCESS).build(),
                dev.collab.api.AccessSecrets::newToken);
    }

    public static PersistentVolumeClaim homeClaim(
            CollabSessionPool pool, WorkerNames names, OperatorSettings settings) {
        PoolTemplate t = pool.getSpec().getTemplate();
        Quantity size = t.getStorageSize() != null ? t.getStorageSize() : new Quantity(settings.storageSize());
        return new PersistentVolumeClaimBuilder()
                .withMetadata(meta(pool, names.homeClaim(), null).build())
                .withNewSpec()
                .withAccessModes("ReadWriteOnce")
                .withStorageClassName(storageClass(t, settings))
                .withNewResources()
                .addToRequests("storage", size)
                .endResources()
                .endSpec()
                .build();
    }

    public static Pod pod(CollabSessionPool pool, WorkerNames names, OperatorSettings settings) {
        PodSpec spec = WorkerPodBuilder.warmSpec(
                names,
                pool.getSpec().getTemplate().getImage(),
                pool.getSpec().getTemplate().getResources(),
                settings);
        return new PodBuilder()
                .withMetadata(meta(pool, names.pod(), CollabLabels.ROLE_WORKER)
                        .addToAnnotations(CollabLabels.CREDENTIALS_HASH, NO_CREDENTIALS)
                        .addToAnnotations(CollabLabels.SPEC_HASH, templateHash(pool, settings))
                        .build())
                .withSpec(spec)
                .build();
    }

    /** Hash of the pool's template as a pod would run it (names aside): a different hash marks an outdated worker. */
    static String templateHash(CollabSessionPool pool, OperatorSettings settings) {
        PoolTemplate t = pool.getSpec().getTemplate();
        PodSpec spec = WorkerPodBuilder.warmSpec(WorkerNames.of("w"), t.getImage(), t.getResources(), settings);
        return WorkerPodBuilder.specHash(
                spec, NO_CREDENTIALS + "\n" + storageClass(t, settings) + "\n" + t.getStorageSize());
    }

    static String storageClass(PoolTemplate t, OperatorSettings settings) {
        String cls = t.getStorageClassName();
        if (cls == null || cls.isBlank()) {
            cls = settings.storageClass();
        }
        return cls == null || cls.isBlank() ? null : cls;
    }

    /** Labels that select a pool's workers (warm or claimed). */
    static Map<String, String> poolLabels(String pool) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(CollabLabels.MANAGED_BY, CollabLabels.MANAGED_BY_VALUE);
        labels.put(CollabLabels.PART_OF, CollabLabels.PART_OF_VALUE);
        labels.put(CollabLabels.POOL, pool);
        return labels;
    }

    private static ObjectMetaBuilder meta(CollabSessionPool pool, String name, String role) {
        Map<String, String> labels = poolLabels(pool.getMetadata().getName());
        if (role != null) {
            labels.put(CollabLabels.ROLE, role);
        }
        return new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(pool.getMetadata().getNamespace())
                .withLabels(labels)
                .withOwnerReferences(new OwnerReferenceBuilder()
                        .withApiVersion(CollabSession.API_VERSION)
                        .withKind("CollabSessionPool")
                        .withName(pool.getMetadata().getName())
                        .withUid(pool.getMetadata().getUid())
                        .withController(true)
                        .withBlockOwnerDeletion(true)
                        .build());
    }
}

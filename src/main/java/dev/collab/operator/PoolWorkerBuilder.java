package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPool;
import dev.collab.api.CredentialsMode;
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
import io.fabric8.kubernetes.api.model.SecretBuilder;
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

    /**
     * Gateway pools: the worker's placeholder home `<worker>-gateway-home` ({@link WarmGatewayHome}), created before
     * its pod, which mounts it and reads its proxy URL from it.
     */
    public static Secret gatewayHome(
            CollabSessionPool pool, WorkerNames names, byte[] gatewayKey, OperatorSettings settings) {
        return new SecretBuilder()
                .withMetadata(
                        meta(pool, CollabLabels.gatewayHomeSecretName(names.pod()), CollabLabels.ROLE_GATEWAY_HOME)
                                .build())
                .withType("Opaque")
                .withData(WarmGatewayHome.data(
                        gatewayKey, pool.getMetadata().getNamespace(), names.pod(), settings.gateway()))
                .build();
    }

    /** {@code keyFingerprint}: {@link WarmGatewayHome#keyFingerprint} of the gateway key (Gateway pools only). */
    public static Pod pod(CollabSessionPool pool, WorkerNames names, OperatorSettings settings, String keyFingerprint) {
        PoolTemplate t = pool.getSpec().getTemplate();
        CredentialsMode mode = mode(t, settings);
        PodSpec spec = WorkerPodBuilder.warmSpec(names, t.getImage(), t.getResources(), mode, settings);
        ObjectMetaBuilder meta = meta(pool, names.pod(), CollabLabels.ROLE_WORKER)
                .addToAnnotations(CollabLabels.CREDENTIALS_HASH, NO_CREDENTIALS)
                .addToAnnotations(CollabLabels.SPEC_HASH, templateHash(pool, settings, keyFingerprint));
        if (mode == CredentialsMode.Gateway) {
            // the NetworkPolicy of Gateway-mode pods applies from the start: a warm worker reaches only the gateway
            meta.addToLabels(CollabLabels.CREDENTIALS_MODE, CollabLabels.CREDENTIALS_MODE_GATEWAY);
        }
        return new PodBuilder().withMetadata(meta.build()).withSpec(spec).build();
    }

    /** The pool's credentials mode: its template's, else the operator's default. */
    static CredentialsMode mode(PoolTemplate t, OperatorSettings settings) {
        return t.getCredentialsMode() != null
                ? t.getCredentialsMode()
                : settings.gateway().defaultMode();
    }

    /**
     * Hash of the pool's template as a pod would run it (names aside): a different hash marks an outdated worker. A
     * Gateway pool's includes the gateway key's fingerprint: its workers' placeholders are made with that key.
     */
    static String templateHash(CollabSessionPool pool, OperatorSettings settings, String keyFingerprint) {
        PoolTemplate t = pool.getSpec().getTemplate();
        CredentialsMode mode = mode(t, settings);
        PodSpec spec = WorkerPodBuilder.warmSpec(WorkerNames.of("w"), t.getImage(), t.getResources(), mode, settings);
        return WorkerPodBuilder.specHash(
                spec,
                NO_CREDENTIALS + "\n" + storageClass(t, settings) + "\n" + t.getStorageSize()
                        + (mode == CredentialsMode.Gateway ? "\n" + keyFingerprint : ""));
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

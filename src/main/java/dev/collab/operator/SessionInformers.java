package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPool;
import dev.collab.config.OperatorShard;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import io.fabric8.kubernetes.client.informers.cache.ReducedStateItemStore;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The session controller's informers: worker pods, HOME claims, access Secrets, opted-in credential Secrets, Gateway
 * placeholder Secrets and pools, each narrowed by label (and to this shard's children when sharded).
 */
record SessionInformers(
        InformerEventSource<Pod, CollabSession> pods,
        InformerEventSource<PersistentVolumeClaim, CollabSession> claims,
        InformerEventSource<Secret, CollabSession> accessSecrets,
        InformerEventSource<Secret, CollabSession> credentialSecrets,
        InformerEventSource<Secret, CollabSession> gatewayHomeSecrets,
        InformerEventSource<CollabSessionPool, CollabSession> pools,
        InformerEventSource<Pod, CollabSession> warmPods) {

    /** {@code podGone} hears of each session whose worker pod was deleted. */
    static SessionInformers declare(
            EventSourceContext<CollabSession> context, OperatorShard shard, Consumer<ResourceID> podGone) {
        String managed = CollabLabels.MANAGED_BY + "=" + CollabLabels.MANAGED_BY_VALUE;
        // What the probes and spec hashes remember is about a session's current pod: it goes with the pod. A deleted
        // session gets no reconcile (no finalizer), but the garbage collector deletes its pod: its memory goes here.
        var pods =
                new InformerEventSource<>(
                        InformerEventSourceConfiguration.from(Pod.class, CollabSession.class)
                                .withName("worker-pods")
                                .withNamespacesInheritedFromController()
                                .withLabelSelector(shard.narrow(
                                        managed + "," + CollabLabels.ROLE + "=" + CollabLabels.ROLE_WORKER))
                                .withSecondaryToPrimaryMapper(Children::sessionOf)
                                .withItemStore(podStore(context.getClient().getKubernetesSerialization()))
                                .build(),
                        context) {
                    @Override
                    public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
                        super.onDelete(pod, deletedFinalStateUnknown);
                        Children.sessionOf(pod).forEach(podGone);
                    }
                };
        var claims = child(
                context,
                PersistentVolumeClaim.class,
                "home-claims",
                shard.narrow(managed),
                new ManagedFieldsFreeStore<>());
        var accessSecrets = child(
                context,
                Secret.class,
                "access-secrets",
                shard.narrow(managed + "," + CollabLabels.ROLE + "=" + CollabLabels.ROLE_ACCESS),
                new TokenFreeAccessSecretStore());
        // Only Secrets opted in for sessions are cached (never every Secret of the namespace); one maps to the
        // sessions naming it through the primary-cache index.
        var credentialSecrets = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(Secret.class, CollabSession.class)
                        .withName("credential-secrets")
                        .withItemStore(new ManagedFieldsFreeStore<>())
                        .withNamespacesInheritedFromController()
                        .withLabelSelector(CollabLabels.CREDENTIALS + "=" + CollabLabels.CREDENTIALS_VALUE)
                        .withSecondaryToPrimaryMapper(secret -> context
                                .getPrimaryCache()
                                .byIndex(
                                        CollabSessionReconciler.BY_CREDENTIALS_SECRET,
                                        CollabSessionReconciler.key(
                                                secret.getMetadata().getNamespace(),
                                                secret.getMetadata().getName()))
                                .stream()
                                .map(ResourceID::fromResource)
                                .collect(Collectors.toSet()))
                        .build(),
                context);
        // Gateway mode: the operator's own placeholder Secrets (`<name>-gateway-home`), by label.
        var gatewayHomeSecrets = child(
                context,
                Secret.class,
                "gateway-home-secrets",
                shard.narrow(managed + "," + CollabLabels.ROLE + "=" + CollabLabels.ROLE_GATEWAY_HOME),
                new ManagedFieldsFreeStore<>());
        // Pools only inform the claim of a new session: a pool change triggers no session reconcile.
        var pools = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(CollabSessionPool.class, CollabSession.class)
                        .withName("pools")
                        .withNamespacesInheritedFromController()
                        .withSecondaryToPrimaryMapper(pool -> Set.of())
                        .build(),
                context);
        // Sharded: warm workers are any shard's to claim (they carry no shard label until claimed), so they come
        // from an informer of their own; unsharded, the worker pods' informer holds them.
        InformerEventSource<Pod, CollabSession> warmPods = shard.sharded()
                ? new InformerEventSource<>(
                        InformerEventSourceConfiguration.from(Pod.class, CollabSession.class)
                                .withName("warm-pods")
                                .withNamespacesInheritedFromController()
                                .withLabelSelector(managed + "," + CollabLabels.ROLE + "=" + CollabLabels.ROLE_WORKER
                                        + "," + CollabLabels.POOL + ",!" + CollabLabels.SESSION)
                                .withSecondaryToPrimaryMapper(pod -> Set.of())
                                .withItemStore(podStore(context.getClient().getKubernetesSerialization()))
                                .build(),
                        context)
                : pods;
        return new SessionInformers(
                pods, claims, accessSecrets, credentialSecrets, gatewayHomeSecrets, pools, warmPods);
    }

    /** A child kind the operator labels with its session, cached in {@code store}, mapped back by the label. */
    private static <R extends io.fabric8.kubernetes.api.model.HasMetadata> InformerEventSource<R, CollabSession> child(
            EventSourceContext<CollabSession> context,
            Class<R> kind,
            String name,
            String selector,
            ItemStore<R> store) {
        return new InformerEventSource<>(
                InformerEventSourceConfiguration.from(kind, CollabSession.class)
                        .withName(name)
                        .withItemStore(store)
                        .withNamespacesInheritedFromController()
                        .withLabelSelector(selector)
                        .withSecondaryToPrimaryMapper(Children::sessionOf)
                        .build(),
                context);
    }

    /**
     * The pod cache keeps only what the reconcile reads (metadata labels, annotations, owner references and
     * timestamps, status), not the pod spec: the spec is never compared (the spec-hash annotation is), and it is the
     * bulk of a cached pod (containers, seed script, volumes, security contexts). Measured with
     * bench/operator-scale at 5,000 sessions.
     */
    static ItemStore<Pod> podStore(KubernetesSerialization serialization) {
        return new ReducedStateItemStore<>(
                ReducedStateItemStore.NAME_KEY_STATE,
                Pod.class,
                serialization,
                "metadata.labels",
                "metadata.annotations",
                "metadata.creationTimestamp",
                "metadata.deletionTimestamp",
                "metadata.uid",
                // whose the pod is: a session uses only a pod it controls (issue 30)
                "metadata.ownerReferences",
                "status");
    }
}

package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSessionPool;
import dev.collab.config.CollabConfig;
import dev.collab.config.OperatorShard;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import jakarta.inject.Inject;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keeps spec.replicas warm workers per CollabSessionPool (docs/DESIGN.md section 9): observes the pool's pods, claims
 * and access Secrets, decides with the pure {@link PoolPlan}, applies it ({@link PoolReconciliation}) and reports
 * counts in status. Sessions claim workers in their own reconcile ({@link WarmWorkerClaim}); this controller only
 * sees a claimed pod gain a session label, and refills.
 */
@ControllerConfiguration(name = PoolReconciler.NAME, generationAwareEventProcessing = false)
public class PoolReconciler implements Reconciler<CollabSessionPool> {
    public static final String NAME = "collabsessionpool";

    private final OperatorSettings settings;
    private final Clock clock;
    private InformerEventSource<Pod, CollabSessionPool> pods;
    private InformerEventSource<PersistentVolumeClaim, CollabSessionPool> claims;
    private InformerEventSource<Secret, CollabSessionPool> secrets;
    private GatewayKeySource gatewayKey;
    private final WorkerWarmUp warmUp = new WorkerWarmUp();
    private final OperatorShard shard;

    @Inject
    public PoolReconciler(CollabConfig config) {
        this(OperatorSettings.from(config), Clock.systemUTC(), OperatorShard.from(config));
    }

    public PoolReconciler(OperatorSettings settings, Clock clock) {
        this(settings, clock, OperatorShard.SINGLE);
    }

    /**
     * As one shard of several: reconciles the pools labelled with its shard (the primary informer's selector, set by
     * configuration) and labels the unlabelled pools the hash gives it. A pool's workers carry no shard label: any
     * shard's session may claim them, and this controller's informers see them all.
     */
    public PoolReconciler(OperatorSettings settings, Clock clock, OperatorShard shard) {
        this.settings = settings;
        this.clock = clock;
        this.shard = shard;
    }

    @Override
    public List<EventSource<?, CollabSessionPool>> prepareEventSources(EventSourceContext<CollabSessionPool> context) {
        String selector = CollabLabels.MANAGED_BY + "=" + CollabLabels.MANAGED_BY_VALUE + "," + CollabLabels.POOL;
        pods = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(Pod.class, CollabSessionPool.class)
                        .withName("pool-pods")
                        .withNamespacesInheritedFromController()
                        .withLabelSelector(selector)
                        .withSecondaryToPrimaryMapper(PoolReconciler::poolOf)
                        .withItemStore(
                                SessionInformers.podStore(context.getClient().getKubernetesSerialization()))
                        .build(),
                context);
        claims = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(PersistentVolumeClaim.class, CollabSessionPool.class)
                        .withName("pool-claims")
                        .withNamespacesInheritedFromController()
                        .withLabelSelector(selector)
                        .withSecondaryToPrimaryMapper(PoolReconciler::poolOf)
                        .build(),
                context);
        secrets = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(Secret.class, CollabSessionPool.class)
                        .withName("pool-secrets")
                        .withNamespacesInheritedFromController()
                        .withLabelSelector(selector)
                        .withSecondaryToPrimaryMapper(PoolReconciler::poolOf)
                        .build(),
                context);
        gatewayKey = new GatewayKeySource(settings.gateway().keySecret(), context.getClient());
        if (!shard.sharded()) {
            return List.of(pods, claims, secrets);
        }
        ShardLabeler labeler =
                new ShardLabeler(shard, context.getClient(), child -> true, CollabSessionReconciler.leading(context));
        var unsharded = labeler.unlabelled(CollabSessionPool.class, "unsharded-pools", context);
        labeler.scanEvery(() -> unsharded.list().toList());
        return List.of(pods, claims, secrets, unsharded);
    }

    @Override
    public UpdateControl<CollabSessionPool> reconcile(CollabSessionPool pool, Context<CollabSessionPool> context) {
        if (!CollabSessionReconciler.isMine(pool, shard)) {
            return UpdateControl.noUpdate();
        }
        PoolReconciliation run = new PoolReconciliation(
                pool, context, settings, clock.instant(), pods, claims, secrets, gatewayKey, warmUp);
        return run.execute();
    }

    static Set<ResourceID> poolOf(HasMetadata child) {
        Map<String, String> labels = child.getMetadata().getLabels();
        String pool = labels == null ? null : labels.get(CollabLabels.POOL);
        return pool == null
                ? Set.of()
                : Set.of(new ResourceID(pool, child.getMetadata().getNamespace()));
    }
}

package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.Shards;
import dev.collab.config.OperatorShard;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Gives an unlabelled session or pool its shard label (docs/DESIGN.md section 12), when this process's shard is the
 * one {@link Shards#of} names: every shard watches the unlabelled objects (a set that empties as fast as they are
 * labelled) and labels only its own, so no shard depends on another to get its sessions. A label, once set, is never
 * changed by the operator: a session keeps its shard when the shard count changes.
 *
 * <p>A session's existing children (an upgrade from one shard) are relabelled first, each only if it is the session's
 * own (controller reference or uid annotation), and the session is labelled once this process's child caches show
 * them, so its first reconcile here finds its pod and does not take it for missing. One thread, off the informers',
 * and only on the leader.
 */
final class ShardLabeler implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ShardLabeler.class);

    /**
     * The objects of {@code type} no shard label names yet (created since, or there before sharding), each offered to
     * this labeler as it is added or changes; they trigger no reconcile. The set empties as fast as they are labelled.
     * One source for sessions and pools.
     */
    <R extends HasMetadata, P extends HasMetadata> InformerEventSource<R, P> unlabelled(
            Class<R> type, String name, EventSourceContext<P> context) {
        return new InformerEventSource<>(
                InformerEventSourceConfiguration.from(type, context.getPrimaryResourceClass())
                        .withName(name)
                        .withNamespacesInheritedFromController()
                        .withLabelSelector("!" + Shards.LABEL)
                        .withItemStore(new ManagedFieldsFreeStore<>())
                        .withSecondaryToPrimaryMapper(object -> Set.of())
                        .build(),
                context) {
            @Override
            public void onAdd(R object) {
                super.onAdd(object);
                offer(object);
            }

            @Override
            public void onUpdate(R old, R object) {
                super.onUpdate(old, object);
                offer(object);
            }
        };
    }

    static final Duration CACHE_WAIT = Duration.ofSeconds(10);
    static final Duration RETRY = Duration.ofSeconds(5);
    static final Duration SCAN = Duration.ofSeconds(2);

    private final OperatorShard shard;
    private final KubernetesClient client;
    /** Whether this process's child caches hold a relabelled child (true when no cache is expected to). */
    private final Predicate<HasMetadata> cached;
    /** Only a leader writes: the informers (and so this labeler's events) run on standby replicas too. */
    private final BooleanSupplier leading;

    private final Set<String> queued = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "shard-labeler");
        t.setDaemon(true);
        return t;
    });

    ShardLabeler(OperatorShard shard, KubernetesClient client, Predicate<HasMetadata> cached, BooleanSupplier leading) {
        this.shard = shard;
        this.client = client;
        this.cached = cached;
        this.leading = leading;
    }

    /**
     * Looks at the unlabelled objects every {@link #SCAN}: what arrived while this replica stood by (a new leader
     * labels what its predecessor left), and what a failed attempt left. The set is normally empty.
     */
    void scanEvery(Supplier<? extends Collection<? extends HasMetadata>> unlabelled) {
        thread.scheduleWithFixedDelay(
                () -> {
                    try {
                        unlabelled.get().forEach(this::offer);
                    } catch (RuntimeException e) {
                        LOG.warnf("shard labeler: could not list the unlabelled objects: %s", e.toString());
                    }
                },
                SCAN.toMillis(),
                SCAN.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Labels {@code resource} (after its children, for a session) if it is unlabelled and this shard's. */
    void offer(HasMetadata resource) {
        String ns = resource.getMetadata().getNamespace();
        String name = resource.getMetadata().getName();
        if (!leading.getAsBoolean() || !needsLabel(resource, shard) || !queued.add(key(resource))) {
            return;
        }
        thread.execute(() -> run(resource, ns, name));
    }

    /** Unlabelled and, by the hash of its namespace and name, this shard's. */
    static boolean needsLabel(HasMetadata resource, OperatorShard shard) {
        return shard.sharded()
                && ChildMetadata.shardOf(resource) == null
                && resource.getMetadata().getDeletionTimestamp() == null
                && shard.owns(
                        resource.getMetadata().getNamespace(),
                        resource.getMetadata().getName());
    }

    private void run(HasMetadata resource, String ns, String name) {
        try {
            // A session no operator has reconciled yet (no status) has no children: one patch, no lists. A session
            // with status (an unsharded operator's, before an upgrade) may have some: they move first.
            if (resource instanceof CollabSession session && session.getStatus() != null) {
                List<HasMetadata> moved = relabelChildren(session);
                awaitCached(moved);
                if (!moved.isEmpty()) {
                    LOG.infof("%d children of session %s/%s labelled for %s", moved.size(), ns, name, shard);
                }
            }
            client.resource(resource).patch(PatchContext.of(PatchType.JSON_MERGE), labelPatch(shard.labelValue()));
            queued.remove(key(resource));
            LOG.debugf("%s %s/%s labelled for %s", resource.getKind(), ns, name, shard);
        } catch (KubernetesClientException e) {
            if (Children.isNotFound(e)) {
                queued.remove(key(resource));
                return;
            }
            LOG.warnf(
                    "labelling %s %s/%s for %s failed (HTTP %d): retrying",
                    resource.getKind(), ns, name, shard, e.getCode());
            retryLater(resource);
        } catch (RuntimeException e) {
            LOG.warnf(e, "labelling %s %s/%s failed: retrying", resource.getKind(), ns, name);
            retryLater(resource);
        }
    }

    /** Forgets the attempt after {@link #RETRY}, so the next scan offers the object again if still unlabelled. */
    private void retryLater(HasMetadata resource) {
        thread.schedule(() -> queued.remove(key(resource)), RETRY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Labels the session's own pods, HOME claims and Secrets (access, gateway-home) with its shard; someone else's
     * object carrying the session label is left alone. A metadata patch: no pod is replaced (the spec hash covers the
     * pod spec only).
     */
    private List<HasMetadata> relabelChildren(CollabSession session) {
        String ns = session.getMetadata().getNamespace();
        Map<String, String> selector = Map.of(
                CollabLabels.SESSION,
                session.getMetadata().getName(),
                CollabLabels.MANAGED_BY,
                CollabLabels.MANAGED_BY_VALUE);
        List<HasMetadata> children = new ArrayList<>();
        children.addAll(
                client.pods().inNamespace(ns).withLabels(selector).list().getItems());
        children.addAll(client.persistentVolumeClaims()
                .inNamespace(ns)
                .withLabels(selector)
                .list()
                .getItems());
        children.addAll(
                client.secrets().inNamespace(ns).withLabels(selector).list().getItems());
        List<HasMetadata> moved = new ArrayList<>();
        for (HasMetadata child : children) {
            if (!isOwn(child, session) || shard.labelValue().equals(ChildMetadata.shardOf(child))) {
                continue;
            }
            try {
                moved.add(client.resource(child)
                        .patch(PatchContext.of(PatchType.JSON_MERGE), labelPatch(shard.labelValue())));
            } catch (KubernetesClientException e) {
                if (!Children.isNotFound(e)) {
                    throw e;
                }
            }
        }
        return moved;
    }

    static boolean isOwn(HasMetadata child, CollabSession session) {
        return ChildOwnership.isSessions(child, session)
                || (child instanceof PersistentVolumeClaim claim
                        && ChildOwnership.isUnmarkedRetainedClaim(claim, session));
    }

    private void awaitCached(List<HasMetadata> moved) {
        Instant deadline = Instant.now().plus(CACHE_WAIT);
        for (HasMetadata child : moved) {
            while (!cached.test(child) && Instant.now().isBefore(deadline)) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** A JSON merge patch that sets the shard label and nothing else. */
    static String labelPatch(String value) {
        return "{\"metadata\":{\"labels\":{\"" + Shards.LABEL + "\":\"" + value + "\"}}}";
    }

    private static String key(HasMetadata resource) {
        return resource.getKind() + "/" + resource.getMetadata().getNamespace() + "/"
                + resource.getMetadata().getName();
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}

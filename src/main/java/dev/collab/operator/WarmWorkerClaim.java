package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPool;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Claims a Ready warm worker of the session's pool for a new session.
 *
 * <p>The claim is one write: a JSON patch of the pod's metadata carrying the resourceVersion read, which adds the
 * session label, makes the session the pod's controller owner and records the session's spec hash. The API server
 * applies it only if that resourceVersion is still current (compare-and-swap in etcd), so of two claimers that
 * read the same version exactly one succeeds and the other gets 409 Conflict, whatever operator process or
 * failover they run in; a claimer never trusts its cache for the decision beyond that compare-and-swap (a write
 * from a stale cache fails, and the claimer re-reads the pod and requires no session label). The pool controller
 * deletes warm pods with the same precondition, so it cannot remove a worker a session just claimed. The worker's HOME claim and access Secret follow in the session's reconcile
 * ({@link HomeClaimDependent}, {@link AccessSecretDependent}): the pod's name leads to them.
 */
final class WarmWorkerClaim {
    private static final Logger LOG = Logger.getLogger(WarmWorkerClaim.class);
    /** Candidates tried per reconcile before the session starts a worker of its own. */
    static final int MAX_ATTEMPTS = 3;

    private final InformerEventSource<Pod, CollabSession> pods;
    private final InformerEventSource<Pod, CollabSession> warmPods;
    private final InformerEventSource<CollabSessionPool, CollabSession> pools;
    private final OperatorSettings settings;

    WarmWorkerClaim(
            InformerEventSource<Pod, CollabSession> pods,
            InformerEventSource<CollabSessionPool, CollabSession> pools,
            OperatorSettings settings) {
        this(pods, pods, pools, settings);
    }

    /**
     * @param pods     the session's worker pods: a claimed pod is put in this cache
     * @param warmPods where warm workers are found: {@code pods} when not sharded, else an informer of every shard's
     *                 unclaimed workers (the claim gives the pod the session's shard label)
     */
    WarmWorkerClaim(
            InformerEventSource<Pod, CollabSession> pods,
            InformerEventSource<Pod, CollabSession> warmPods,
            InformerEventSource<CollabSessionPool, CollabSession> pools,
            OperatorSettings settings) {
        this.pods = pods;
        this.warmPods = warmPods;
        this.pools = pools;
        this.settings = settings;
    }

    /** The pool the session would claim from (spec.poolRef or "default"), if it exists and is not being deleted. */
    Optional<CollabSessionPool> pool(CollabSession session) {
        return pools.get(new ResourceID(
                        PoolMatch.poolName(session), session.getMetadata().getNamespace()))
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null);
    }

    /**
     * Warm workers of the pool from the cache, Ready ones first, each group in random order so concurrent claimers
     * rarely collide. Readiness is decided on the fresh read in {@link #claim}: the cache may lag behind it.
     */
    List<Pod> candidates(CollabSession session, CollabSessionPool pool) {
        String poolName = pool.getMetadata().getName();
        List<Pod> warm = new ArrayList<>(warmPods.list(
                        session.getMetadata().getNamespace(),
                        p -> isWarm(p, poolName) && p.getMetadata().getDeletionTimestamp() == null)
                .toList());
        Collections.shuffle(warm);
        warm.sort(java.util.Comparator.comparing(
                p -> !PodView.of(p, settings.port()).ready()));
        return warm.subList(0, Math.min(MAX_ATTEMPTS, warm.size()));
    }

    /**
     * Claims this warm worker for the session with {@code desired} (the session's pod under the worker's names);
     * the claimed pod, or null when it is no longer a Ready warm worker or another claimer was first. The first try
     * writes from the cache: the patch carries the cached resourceVersion, so it succeeds only if the cache showed the
     * pod as it is (a Ready warm worker), which saves a read on the path to the endpoint. A conflict means the cache
     * lagged or another claimer won: the pod is read afresh and claimed if it still is a Ready warm worker.
     */
    Pod claim(CollabSession session, Pod candidate, Pod desired, KubernetesClient client, Instant now) {
        String poolName = candidate.getMetadata().getLabels().get(CollabLabels.POOL);
        if (claimable(candidate, poolName)) {
            Pod updated = write(session, candidate, desired, client, now, candidate);
            if (updated != null) {
                return updated;
            }
        }
        Pod fresh = client.pods()
                .inNamespace(session.getMetadata().getNamespace())
                .withName(candidate.getMetadata().getName())
                .get();
        return fresh != null && claimable(fresh, poolName)
                ? write(session, fresh, desired, client, now, candidate)
                : null;
    }

    private boolean claimable(Pod pod, String poolName) {
        return isWarm(pod, poolName)
                && pod.getMetadata().getDeletionTimestamp() == null
                && PodView.of(pod, settings.port()).ready();
    }

    /**
     * The conditional write of the claim, a JSON patch of the metadata that sets the resourceVersion read (the API
     * server refuses it with 409 Conflict unless that version is current); null on conflict. A patch, not a PUT: the
     * operator's pod cache keeps no pod spec. A JSON patch, not a merge patch: it replaces the owner references on
     * the real API server and on the Fabric8 mock alike (the mock appends to lists in a merge patch).
     */
    private Pod write(CollabSession session, Pod read, Pod desired, KubernetesClient client, Instant now, Pod cached) {
        try {
            Pod updated = apply(
                    client,
                    session.getMetadata().getNamespace(),
                    read.getMetadata().getName(),
                    claimPatch(read, session, desired, now));
            ResourceID id = ResourceID.fromResource(updated);
            if (pods == warmPods || pods.get(id).isPresent()) {
                pods.handleRecentResourceUpdate(id, updated, cached);
            } else {
                // sharded: the claim moved the pod into this shard's worker pods, whose cache never held it
                pods.handleRecentResourceCreate(id, updated);
            }
            return updated;
        } catch (KubernetesClientException e) {
            if (!Children.isConflict(e)) {
                throw e;
            }
            LOG.debugf(
                    "warm worker %s/%s changed or was taken first",
                    session.getMetadata().getNamespace(), read.getMetadata().getName());
            return null;
        }
    }

    static boolean isWarm(Pod pod, String pool) {
        var labels = pod.getMetadata().getLabels();
        return labels != null
                && pool.equals(labels.get(CollabLabels.POOL))
                && !labels.containsKey(CollabLabels.SESSION);
    }

    /**
     * The claim: the pod's metadata after it (never the informer's copy, which stays as it was): the
     * session's labels, the session as controller owner and its spec hash, and the resourceVersion read as the
     * precondition. Seeded: credentials still to be delivered. Gateway: nothing to deliver, the worker already holds
     * its placeholder and the gateway maps it to the session.
     */
    static Pod claimPatch(Pod read, CollabSession session, Pod desired, Instant now) {
        var meta = read.getMetadata();
        var labels = new HashMap<>(meta.getLabels());
        labels.putAll(desired.getMetadata().getLabels());
        var annotations = new HashMap<>(
                meta.getAnnotations() == null ? java.util.Map.<String, String>of() : meta.getAnnotations());
        annotations.put(
                CollabLabels.SPEC_HASH, desired.getMetadata().getAnnotations().get(CollabLabels.SPEC_HASH));
        annotations.put(
                CollabLabels.CREDENTIALS_HASH,
                desired.getMetadata().getAnnotations().get(CollabLabels.CREDENTIALS_HASH));
        if (!CollabLabels.CREDENTIALS_MODE_GATEWAY.equals(
                desired.getMetadata().getLabels().get(CollabLabels.CREDENTIALS_MODE))) {
            annotations.put(CollabLabels.CREDENTIALS_PENDING, "true");
        }
        annotations.put(CollabLabels.CREATED_AT, now.toString());
        return new PodBuilder()
                .withNewMetadata()
                .withResourceVersion(meta.getResourceVersion())
                .withLabels(labels)
                .withAnnotations(annotations)
                .withOwnerReferences(dev.collab.api.OwnerReferences.controller(session))
                .endMetadata()
                .build();
    }

    /** Writes {@link #claimPatch a claim} to the pod: 409 Conflict unless its resourceVersion is current. */
    static Pod apply(KubernetesClient client, String namespace, String pod, Pod claim) {
        return client.pods()
                .inNamespace(namespace)
                .withName(pod)
                .patch(PatchContext.of(PatchType.JSON), jsonPatch(claim, client.getKubernetesSerialization()));
    }

    /** {@code claim}'s resourceVersion, labels, annotations and owner references as JSON patch operations. */
    static String jsonPatch(Pod claim, KubernetesSerialization serialization) {
        var meta = claim.getMetadata();
        var values = new java.util.LinkedHashMap<String, Object>();
        values.put("resourceVersion", meta.getResourceVersion());
        values.put("labels", meta.getLabels());
        values.put("annotations", meta.getAnnotations());
        values.put("ownerReferences", meta.getOwnerReferences());
        List<java.util.Map<String, Object>> ops = new ArrayList<>();
        values.forEach(
                (field, value) -> ops.add(java.util.Map.of("op", "add", "path", "/metadata/" + field, "value", value)));
        return serialization.asJson(ops);
    }
}

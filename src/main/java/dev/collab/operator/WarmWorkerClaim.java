package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPool;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
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
 * <p>The claim is one write: a PUT of the pod carrying the resourceVersion read just before, which adds the
 * session label, makes the session the pod's controller owner and records the session's spec hash. The API server
 * applies a PUT only if that resourceVersion is still current (compare-and-swap in etcd), so of two claimers that
 * read the same version exactly one succeeds and the other gets 409 Conflict, whatever operator process or
 * failover they run in; a claimer never trusts its cache for the decision (it re-reads the pod and requires no
 * session label). The pool controller deletes warm pods with the same precondition, so it cannot remove a worker
 * a session just claimed. The worker's HOME claim and access Secret follow in the session's reconcile
 * ({@link HomeClaimDependent}, {@link AccessSecretDependent}): the pod's name leads to them.
 */
final class WarmWorkerClaim {
    private static final Logger LOG = Logger.getLogger(WarmWorkerClaim.class);
    /** Candidates tried per reconcile before the session starts a worker of its own. */
    static final int MAX_ATTEMPTS = 3;

    private final InformerEventSource<Pod, CollabSession> pods;
    private final InformerEventSource<CollabSessionPool, CollabSession> pools;
    private final OperatorSettings settings;

    WarmWorkerClaim(
            InformerEventSource<Pod, CollabSession> pods,
            InformerEventSource<CollabSessionPool, CollabSession> pools,
            OperatorSettings settings) {
        this.pods = pods;
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
        List<Pod> warm = new ArrayList<>(pods.list(
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
     * the claimed pod, or null when it is no longer a Ready warm worker or another claimer was first.
     */
    Pod claim(CollabSession session, Pod candidate, Pod desired, KubernetesClient client, Instant now) {
        String ns = session.getMetadata().getNamespace();
        String poolName = candidate.getMetadata().getLabels().get(CollabLabels.POOL);
        Pod fresh = client.pods()
                .inNamespace(ns)
                .withName(candidate.getMetadata().getName())
                .get();
        if (fresh == null
                || !isWarm(fresh, poolName)
                || fresh.getMetadata().getDeletionTimestamp() != null
                || !PodView.of(fresh, settings.port()).ready()) {
            return null;
        }
        try {
            Pod updated =
                    client.pods().resource(take(fresh, session, desired, now)).update();
            pods.handleRecentResourceUpdate(ResourceID.fromResource(updated), updated, candidate);
            return updated;
        } catch (KubernetesClientException e) {
            if (!Children.isConflict(e)) {
                throw e;
            }
            LOG.debugf(
                    "warm worker %s/%s was taken first", ns, fresh.getMetadata().getName());
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
     * The pod as the session's: its labels, controller owner and spec hash. Seeded: credentials still to be delivered.
     * Gateway: nothing to deliver, the worker already holds its placeholder and the gateway maps it to the session.
     */
    static Pod take(Pod fresh, CollabSession session, Pod desired, Instant now) {
        var meta = fresh.getMetadata();
        var labels = new HashMap<>(meta.getLabels());
        labels.putAll(desired.getMetadata().getLabels());
        meta.setLabels(labels);
        meta.setOwnerReferences(List.of(dev.collab.api.OwnerReferences.controller(session)));
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
        meta.setAnnotations(annotations);
        return fresh;
    }
}

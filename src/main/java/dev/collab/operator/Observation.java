package dev.collab.operator;

import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPool;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Instant;
import java.util.List;

/**
 * What one reconcile read before deciding: the session, its children from the informer caches, the credential
 * Secret's state and a capacity stop decided by another session's admission. Nothing here came from a write.
 *
 * @param problem     why the spec cannot run, or null; when set, {@code credentials} is null
 * @param access      the cached `<name>-access` Secret, or null
 * @param pod         the cached worker pod, or null; {@code view} is what the operator reads from it
 * @param pendingStop a capacity eviction recorded in the ledger but not yet in status, or null
 * @param names       the names of the session's worker (its own, or a claimed warm worker's)
 * @param pool        the CollabSessionPool the session would claim from, if one of that name exists, or null
 * @param duplicates  other pods labelled with the session (left by operators overlapping in a failover)
 * @param gatewayHome Gateway mode: the placeholder Secret to ensure (its files are what {@code credentials}
 *                    describes), else null
 * @param fitsWarmGatewayWorker Gateway mode: the credential Secret yields a warm worker's placeholder files
 *                    ({@link WarmGatewayHome#fits}), so the session may claim one
 */
record Observation(
        CollabSession session,
        Instant now,
        SpecProblem problem,
        CredentialsState credentials,
        Secret access,
        PersistentVolumeClaim claim,
        Pod pod,
        PodView view,
        Stop pendingStop,
        WorkerNames names,
        CollabSessionPool pool,
        List<Pod> duplicates,
        Secret gatewayHome,
        boolean fitsWarmGatewayWorker) {

    /** A session whose worker is named after it and that has no pool. */
    Observation(
            CollabSession session,
            Instant now,
            SpecProblem problem,
            CredentialsState credentials,
            Secret access,
            PersistentVolumeClaim claim,
            Pod pod,
            PodView view,
            Stop pendingStop) {
        this(
                session,
                now,
                problem,
                credentials,
                access,
                claim,
                pod,
                view,
                pendingStop,
                WorkerNames.of(session.getMetadata().getName()),
                null,
                List.of(),
                null,
                false);
    }

    /**
     * The same observation with a problem that stops the session (issue 30: someone else's object under a child
     * name, found by a create): no credentials, nothing to claim or to write.
     */
    Observation withProblem(SpecProblem found) {
        return new Observation(
                session, now, found, null, access, claim, pod, view, pendingStop, names, null, duplicates, null, false);
    }

    /** Nothing of the session's own exists yet: no worker, HOME claim or access Secret (a pool may still serve it). */
    boolean fresh() {
        return names.pod().equals(session.getMetadata().getName()) && pod == null && claim == null && access == null;
    }
}

package dev.collab.operator;

import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Instant;

/**
 * What one reconcile read before deciding: the session, its children from the informer caches, the credential
 * Secret's state and a capacity stop decided by another session's admission. Nothing here came from a write.
 *
 * @param problem     why the spec cannot run, or null; when set, {@code credentials} is null
 * @param access      the cached `<name>-access` Secret, or null
 * @param pod         the cached worker pod, or null; {@code view} is what the operator reads from it
 * @param pendingStop a capacity eviction recorded in the ledger but not yet in status, or null
 * @param gatewayHome Gateway mode: the placeholder Secret to ensure (its files are what {@code credentials}
 *                    describes), else null
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
        Secret gatewayHome) {}

package dev.collab.operator;

import dev.collab.api.CollabSessionPool;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Instant;
import java.util.List;

/**
 * What {@link SessionDecision} decided for one session; {@link PlanApplier} carries it out.
 *
 * @param probe             a probe to run before the decision is final (then nothing else here is meant), or null
 * @param ensureAccessSecret create the `<name>-access` Secret (random token and password) if it is missing
 * @param createClaim       the HOME claim to create, or null
 * @param claimOwned        non-null: set the claim's owner reference to follow spec.storage.retainOnDelete
 * @param admitUnderCaps    a pod is about to be created under running-session caps: admit it first (may evict)
 * @param podAction         what happens to the worker pod
 * @param desiredPod        the pod to create (CREATE), else null (a running pod is compared by its spec hash alone)
 * @param event             announced with the pod action; for CREATE only when the pod was created
 * @param stop              why the session must have no pod, or null; also what status reports
 * @param lastActivity      last activity as status reports it (a busy agent counts as activity now)
 * @param settleCapacity    the stop is in status already: drop any pending capacity stop
 * @param pendingStopWoken  the pending capacity stop that activity has cancelled, or null
 * @param requeueAt         when to look again without an event, or null
 * @param claimFrom         try to claim a warm worker of this pool before creating anything (CREATE is the fallback)
 * @param adoptAccess       the access Secret is a claimed warm worker's: label it with the session and own it
 * @param releaseDuplicates other workers labelled with the session, to delete with their claim and Secret
 */
record SessionPlan(
        ProbeFindings.Request probe,
        boolean ensureAccessSecret,
        PersistentVolumeClaim createClaim,
        Boolean claimOwned,
        boolean admitUnderCaps,
        PodAction podAction,
        Pod desiredPod,
        Event event,
        Stop stop,
        Instant lastActivity,
        boolean settleCapacity,
        Stop pendingStopWoken,
        Instant requeueAt,
        CollabSessionPool claimFrom,
        boolean adoptAccess,
        List<Pod> releaseDuplicates) {

    enum PodAction {
        /** Leave the pod as it is (or wait for a terminating one to go). */
        KEEP,
        CREATE,
        /** Delete it; it is created again with the new spec once gone (never two pods on one HOME). */
        REPLACE,
        /** Keep it, with its endpoint withdrawn, until its agent finishes; then REPLACE ({@link PodDrain}). */
        DRAIN,
        /** Delete a Ready pod whose opencode never answered HTTP. */
        RESTART_UNRESPONSIVE,
        /** The session is stopped: delete the pod if there is one. */
        DELETE,
        /** A claimed warm worker is Ready: install the session's credentials into its opencode, then publish it. */
        HANDOVER
    }

    /** A Kubernetes Event on the session; messages are built from names and reasons only, never Secret data. */
    record Event(String reason, String message, boolean warning) {}

    static SessionPlan probeFirst(ProbeFindings.Request probe) {
        return new SessionPlan(
                probe,
                false,
                null,
                null,
                false,
                PodAction.KEEP,
                null,
                null,
                null,
                null,
                false,
                null,
                null,
                null,
                false,
                List.of());
    }
}

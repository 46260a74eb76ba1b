package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;

/**
 * The worker pod. Never compared field by field: a different spec-hash annotation means delete, then
 * create once the old pod is gone (the HOME claim is ReadWriteOnce: never two pods at once).
 */
final class WorkerPodDependent {
    /** What reconcile did, for events and status. */
    enum Action { NONE, CREATED, DELETED_FOR_REPLACEMENT, WAITING_FOR_TERMINATION }

    /** The action taken and the pod as it now is (the created one after CREATED). */
    record Outcome(Action action, Pod pod) {
    }

    private final InformerEventSource<Pod, CollabSession> pods;

    WorkerPodDependent(InformerEventSource<Pod, CollabSession> pods) {
        this.pods = pods;
    }

    Pod current(CollabSession session, WorkerNames names) {
        return Children.cached(pods, session.getMetadata().getNamespace(), names.pod()).orElse(null);
    }

    /** Puts a pod this reconcile wrote into the cache, so the next reconcile does not act on the older copy. */
    void cacheUpdate(Pod updated, Pod previous) {
        pods.handleRecentResourceUpdate(io.javaoperatorsdk.operator.processing.event.ResourceID.fromResource(updated),
                updated, previous);
    }

    Outcome reconcile(Pod existing, Pod desired, KubernetesClient client) {
        if (existing == null) {
            Pod created = Children.createOnce(client, pods, desired);
            return created == null ? new Outcome(Action.WAITING_FOR_TERMINATION, null) : new Outcome(Action.CREATED, created);
        }
        if (existing.getMetadata().getDeletionTimestamp() != null) {
            return new Outcome(Action.WAITING_FOR_TERMINATION, existing);
        }
        String want = desired.getMetadata().getAnnotations().get(CollabLabels.SPEC_HASH);
        String have = existing.getMetadata().getAnnotations() == null ? null
                : existing.getMetadata().getAnnotations().get(CollabLabels.SPEC_HASH);
        if (want.equals(have)) {
            return new Outcome(Action.NONE, existing);
        }
        delete(existing, client);
        return new Outcome(Action.DELETED_FOR_REPLACEMENT, existing);
    }

    /** Deletes the pod if it exists and is not already going; true when a delete was sent. */
    boolean delete(Pod existing, KubernetesClient client) {
        if (existing == null || existing.getMetadata().getDeletionTimestamp() != null) {
            return false;
        }
        try {
            client.pods().resource(existing).delete();
        } catch (KubernetesClientException e) {
            if (!Children.isNotFound(e)) {
                throw e;
            }
        }
        return true;
    }
}

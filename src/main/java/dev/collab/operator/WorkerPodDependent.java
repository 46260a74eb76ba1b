package dev.collab.operator;

import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;

/**
 * The worker pod. Never compared field by field: {@link SessionDecision} compares the spec-hash annotation, and a
 * different hash means delete, then create once the old pod is gone (the HOME claim is ReadWriteOnce: never two
 * pods at once).
 */
final class WorkerPodDependent {
    private final InformerEventSource<Pod, CollabSession> pods;

    WorkerPodDependent(InformerEventSource<Pod, CollabSession> pods) {
        this.pods = pods;
    }

    Pod current(CollabSession session, WorkerNames names) {
        return Children.cached(pods, session.getMetadata().getNamespace(), names.pod())
                .orElse(null);
    }

    /** Puts a pod this reconcile wrote into the cache, so the next reconcile does not act on the older copy. */
    void cacheUpdate(Pod updated, Pod previous) {
        pods.handleRecentResourceUpdate(
                io.javaoperatorsdk.operator.processing.event.ResourceID.fromResource(updated), updated, previous);
    }

    /**
     * The created pod, or null when one exists already (an earlier create not yet in the cache). A pod of that name
     * that is not the session's throws {@link ChildOwnership.Foreign}: its address would get the server password.
     */
    Pod create(CollabSession session, Pod desired, KubernetesClient client) {
        return Children.createOnce(client, pods, desired, existing -> ChildOwnership.isSessions(existing, session));
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

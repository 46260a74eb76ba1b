package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.OwnerReferences;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The `<name>-home` PVC. Created once (a claim's spec is immutable in practice); only its ownership
 * follows spec.storage.retainOnDelete, so flipping that flag decides whether the HOME outlives the session.
 */
final class HomeClaimDependent {
    private final InformerEventSource<PersistentVolumeClaim, CollabSession> claims;

    HomeClaimDependent(InformerEventSource<PersistentVolumeClaim, CollabSession> claims) {
        this.claims = claims;
    }

    PersistentVolumeClaim current(CollabSession session, WorkerNames names) {
        return Children.cached(claims, session.getMetadata().getNamespace(), names.homeClaim())
                .orElse(null);
    }

    /**
     * The created claim, or null when it exists already (an earlier create not yet in the cache). A claim of that name
     * that is not the session's throws {@link ChildOwnership.Foreign}: a planted HOME is never mounted.
     */
    PersistentVolumeClaim create(CollabSession session, PersistentVolumeClaim desired, KubernetesClient client) {
        return Children.createOnce(client, claims, desired, existing -> ChildOwnership.isSessions(existing, session));
    }

    /**
     * Adds or removes the session's owner reference on the claim, labels it with the session and writes the session's
     * uid annotation. A claimed warm worker's claim is adopted this way: the pool's controller reference is replaced
     * by the session's.
     */
    PersistentVolumeClaim setOwned(
            CollabSession session, PersistentVolumeClaim existing, boolean owned, KubernetesClient client) {
        PersistentVolumeClaim updated = client.persistentVolumeClaims()
                .resource(existing)
                .edit(claim -> {
                    List<OwnerReference> refs = new ArrayList<>(
                            claim.getMetadata().getOwnerReferences() == null
                                    ? List.of()
                                    : claim.getMetadata().getOwnerReferences());
                    refs.removeIf(ref -> session.getMetadata().getUid().equals(ref.getUid())
                            || Boolean.TRUE.equals(ref.getController()));
                    if (owned) {
                        refs.add(OwnerReferences.controller(session));
                    }
                    claim.getMetadata().setOwnerReferences(refs);
                    // The proof of whose it is while it has no owner reference (storage.retainOnDelete).
                    Map<String, String> annotations = new HashMap<>(
                            claim.getMetadata().getAnnotations() == null
                                    ? Map.of()
                                    : claim.getMetadata().getAnnotations());
                    annotations.put(
                            CollabLabels.SESSION_UID, session.getMetadata().getUid());
                    claim.getMetadata().setAnnotations(annotations);
                    ChildMetadata.labelFor(claim.getMetadata(), session, null);
                    return claim;
                });
        claims.handleRecentResourceUpdate(ResourceID.fromResource(updated), updated, existing);
        return updated;
    }
}

package dev.collab.operator;

import dev.collab.api.CollabSession;
import dev.collab.api.OwnerReferences;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.ArrayList;
import java.util.List;

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

    /** The created claim, or null when it exists already (an earlier create not yet in the cache). */
    PersistentVolumeClaim create(PersistentVolumeClaim desired, KubernetesClient client) {
        return Children.createOnce(client, claims, desired);
    }

    /**
     * Adds or removes the session's owner reference on the claim and labels it with the session. A claimed warm
     * worker's claim is adopted this way: the pool's controller reference is replaced by the session's.
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
                    ChildMetadata.labelFor(claim.getMetadata(), session, null);
                    return claim;
                });
        claims.handleRecentResourceUpdate(ResourceID.fromResource(updated), updated, existing);
        return updated;
    }
}

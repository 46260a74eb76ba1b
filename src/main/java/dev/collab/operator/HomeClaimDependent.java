package dev.collab.operator;

import dev.collab.api.CollabSession;
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
    private final OperatorSettings settings;

    HomeClaimDependent(InformerEventSource<PersistentVolumeClaim, CollabSession> claims, OperatorSettings settings) {
        this.claims = claims;
        this.settings = settings;
    }

    PersistentVolumeClaim current(CollabSession session, WorkerNames names) {
        return Children.cached(claims, session.getMetadata().getNamespace(), names.homeClaim()).orElse(null);
    }

    /**
     * Ensures the claim exists, is labelled with the session and owned as retainOnDelete says. A claimed warm
     * worker's claim is adopted here: the pool's controller reference is replaced by the session's.
     */
    PersistentVolumeClaim reconcile(CollabSession session, WorkerNames names, KubernetesClient client) {
        PersistentVolumeClaim existing = current(session, names);
        boolean owned = HomeClaimBuilder.isOwned(session);
        if (existing == null) {
            PersistentVolumeClaim desired = HomeClaimBuilder.desired(session, settings);
            desired.getMetadata().setName(names.homeClaim());
            return Children.createOnce(client, claims, desired);
        }
        boolean adopted = ChildMetadata.isLabelledFor(existing.getMetadata(), session);
        if (adopted && ChildMetadata.isOwnedBy(existing.getMetadata(), session) == owned) {
            return existing;
        }
        PersistentVolumeClaim updated = client.persistentVolumeClaims().resource(existing).edit(claim -> {
            List<OwnerReference> refs = new ArrayList<>(
                    claim.getMetadata().getOwnerReferences() == null ? List.of() : claim.getMetadata().getOwnerReferences());
            refs.removeIf(ref -> session.getMetadata().getUid().equals(ref.getUid()) || Boolean.TRUE.equals(ref.getController()));
            if (owned) {
                refs.add(ChildMetadata.ownerReference(session));
            }
            claim.getMetadata().setOwnerReferences(refs);
            ChildMetadata.labelFor(claim.getMetadata(), session, null);
            return claim;
        });
        claims.handleRecentResourceUpdate(ResourceID.fromResource(updated), updated, existing);
        return updated;
    }
}

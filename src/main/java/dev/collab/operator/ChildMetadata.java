package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.OwnerReferences;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;

/** Metadata every child of a session shares: namespace, labels, controller owner reference. */
final class ChildMetadata {

    private ChildMetadata() {}

    static ObjectMetaBuilder of(CollabSession session, String name, String role, boolean owned) {
        ObjectMetaBuilder meta = new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(session.getMetadata().getNamespace())
                .withLabels(CollabLabels.childLabels(
                        session.getMetadata().getName(), session.getSpec().getOwner(), role));
        if (owned) {
            meta.withOwnerReferences(OwnerReferences.controller(session));
        }
        return meta;
    }

    static boolean isOwnedBy(ObjectMeta meta, CollabSession session) {
        return meta.getOwnerReferences() != null
                && meta.getOwnerReferences().stream()
                        .anyMatch(ref -> session.getMetadata().getUid() != null
                                && session.getMetadata().getUid().equals(ref.getUid()));
    }
}

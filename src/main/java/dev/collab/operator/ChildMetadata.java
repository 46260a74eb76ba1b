package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;

/** Metadata every child of a session shares: namespace, labels, controller owner reference. */
final class ChildMetadata {

    private ChildMetadata() {
    }

    static ObjectMetaBuilder of(CollabSession session, String name, String role, boolean owned) {
        ObjectMetaBuilder meta = new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(session.getMetadata().getNamespace())
                .withLabels(CollabLabels.childLabels(session.getMetadata().getName(), session.getSpec().getOwner(), role));
        if (owned) {
            meta.withOwnerReferences(ownerReference(session));
        }
        return meta;
    }

    static OwnerReference ownerReference(CollabSession session) {
        return new OwnerReferenceBuilder()
                .withApiVersion(CollabSession.API_VERSION)
                .withKind("CollabSession")
                .withName(session.getMetadata().getName())
                .withUid(session.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }

    static boolean isOwnedBy(ObjectMeta meta, CollabSession session) {
        return meta.getOwnerReferences() != null && meta.getOwnerReferences().stream()
                .anyMatch(ref -> session.getMetadata().getUid() != null && session.getMetadata().getUid().equals(ref.getUid()));
    }

    /** Whether the child carries the session's label (a claimed warm worker's children gain it on adoption). */
    static boolean isLabelledFor(ObjectMeta meta, CollabSession session) {
        return meta.getLabels() != null && session.getMetadata().getName().equals(meta.getLabels().get(CollabLabels.SESSION));
    }

    /** Adds the labels every child of the session carries, keeping the others (the pool label stays). */
    static void labelFor(ObjectMeta meta, CollabSession session, String role) {
        java.util.Map<String, String> labels = new java.util.HashMap<>(meta.getLabels() == null ? java.util.Map.of() : meta.getLabels());
        labels.putAll(CollabLabels.childLabels(session.getMetadata().getName(), session.getSpec().getOwner(), role));
        meta.setLabels(labels);
    }
}

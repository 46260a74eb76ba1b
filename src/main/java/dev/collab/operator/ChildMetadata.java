package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.OwnerReferences;
import dev.collab.api.Shards;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;

/** Metadata every child of a session shares: namespace, labels, controller owner reference. */
final class ChildMetadata {

    private ChildMetadata() {}

    static ObjectMetaBuilder of(CollabSession session, String name, String role, boolean owned) {
        ObjectMetaBuilder meta = new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(session.getMetadata().getNamespace())
                .withLabels(labels(session, role));
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

    /** Whether the child carries the session's label (a claimed warm worker's children gain it on adoption). */
    static boolean isLabelledFor(ObjectMeta meta, CollabSession session) {
        return meta != null
                && meta.getLabels() != null
                && session.getMetadata().getName().equals(meta.getLabels().get(CollabLabels.SESSION));
    }

    /** Adds the labels every child of the session carries, keeping the others (the pool label stays). */
    static void labelFor(ObjectMeta meta, CollabSession session, String role) {
        java.util.Map<String, String> labels =
                new java.util.HashMap<>(meta.getLabels() == null ? java.util.Map.of() : meta.getLabels());
        labels.putAll(labels(session, role));
        meta.setLabels(labels);
    }

    /**
     * The labels of a child: those of every child (section 3) and, when the session is sharded, its shard label, so
     * the child informers of its shard's operator (which select by that label) see it.
     */
    static java.util.Map<String, String> labels(CollabSession session, String role) {
        var labels = new java.util.HashMap<>(CollabLabels.childLabels(
                session.getMetadata().getName(), session.getSpec().getOwner(), role));
        String shard = shardOf(session);
        if (shard != null) {
            labels.put(Shards.LABEL, shard);
        }
        return labels;
    }

    /** The session's shard label value, or null when it has none (an unsharded operator's session). */
    static String shardOf(HasMetadata resource) {
        var labels = resource.getMetadata().getLabels();
        return labels == null ? null : labels.get(Shards.LABEL);
    }
}

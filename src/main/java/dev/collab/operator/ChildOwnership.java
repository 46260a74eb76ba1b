package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPool;
import dev.collab.api.ConditionReasons;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.Map;
import java.util.Optional;

/**
 * Pure: whether an object found under one of a session's child names is the session's (issue 30, docs/DESIGN.md
 * section 3). Names and labels prove nothing: anyone who may create Secrets (or claims) in the namespace can plant
 * {@code <name>-access} with a known token, or {@code <name>-home} with a prepared HOME, before the session exists.
 * The operator uses a child only when it carries a controller reference to the session's uid (which did not exist
 * before the session), or, for a HOME claim left unowned by storage.retainOnDelete, the {@link
 * CollabLabels#SESSION_UID} annotation with that uid. A claimed warm worker's claim and access Secret are still
 * controlled by their pool until the session adopts them: the warm pool's own rule ({@link WarmWorkerClaim}).
 */
final class ChildOwnership {

    private ChildOwnership() {}

    /** Created (or adopted) by the operator for this session: controller reference, or uid annotation on a claim. */
    static boolean isSessions(HasMetadata child, CollabSession session) {
        String uid = session.getMetadata().getUid();
        if (uid == null) {
            return false;
        }
        ObjectMeta meta = child.getMetadata();
        return controller(meta).map(ref -> uid.equals(ref.getUid())).orElse(false)
                || (child instanceof PersistentVolumeClaim && isMarkedFor(meta, session));
    }

    /** The claim carries the session's uid annotation (written on every claim the operator creates or adopts). */
    static boolean isMarkedFor(ObjectMeta meta, CollabSession session) {
        Map<String, String> annotations = meta.getAnnotations();
        return annotations != null
                && session.getMetadata().getUid() != null
                && session.getMetadata().getUid().equals(annotations.get(CollabLabels.SESSION_UID));
    }

    /** A warm worker's child: controlled by the CollabSessionPool its pool label names. */
    static boolean isPoolWorkers(HasMetadata child) {
        ObjectMeta meta = child.getMetadata();
        String pool = meta.getLabels() == null ? null : meta.getLabels().get(CollabLabels.POOL);
        return pool != null
                && controller(meta)
                        .map(ref -> CollabSessionPool.KIND.equals(ref.getKind())
                                && ref.getApiVersion() != null
                                && ref.getApiVersion().startsWith(CollabSession.GROUP + "/")
                                && pool.equals(ref.getName()))
                        .orElse(false);
    }

    /**
     * Whether the session may use the child: its own, or (only when the session runs a claimed warm worker, whose
     * names are not the session's) a pool worker's child it adopts next.
     */
    static boolean usable(HasMetadata child, CollabSession session, boolean claimedWorker) {
        return isSessions(child, session) || (claimedWorker && isPoolWorkers(child));
    }

    /** The condition of a session that found someone else's object under a child name: what it is, what to do. */
    static SpecProblem foreign(HasMetadata child, CollabSession session) {
        String kind = child.getKind() == null ? child.getClass().getSimpleName() : child.getKind();
        String name = child.getMetadata().getName();
        String resource = child instanceof PersistentVolumeClaim ? "pvc" : kind.toLowerCase(java.util.Locale.ROOT);
        return new SpecProblem(
                ConditionReasons.FOREIGN_CHILD_OBJECT,
                kind + " " + name + " exists but was not created by the operator for this session (uid "
                        + session.getMetadata().getUid()
                        + "): it is not used. Delete it if nobody needs it (kubectl -n "
                        + session.getMetadata().getNamespace() + " delete " + resource + " " + name
                        + "), or create the session under another name"
                        + (child instanceof PersistentVolumeClaim
                                ? "; to give this session a HOME retained from an earlier one, annotate the claim: "
                                        + "kubectl -n " + session.getMetadata().getNamespace() + " annotate pvc " + name
                                        + " " + CollabLabels.SESSION_UID + "="
                                        + session.getMetadata().getUid()
                                        + " --overwrite"
                                : ""));
    }

    /**
     * A HOME claim of before issue 30 left unowned by storage.retainOnDelete: no owner reference, no uid annotation,
     * labelled as the operator's child of this session. Used only while the session's own pod (which was built
     * on it) exists; the operator then writes the annotation.
     */
    static boolean isUnmarkedRetainedClaim(PersistentVolumeClaim claim, CollabSession session) {
        ObjectMeta meta = claim.getMetadata();
        Map<String, String> labels = meta.getLabels() == null ? Map.of() : meta.getLabels();
        return (meta.getOwnerReferences() == null || meta.getOwnerReferences().isEmpty())
                && (meta.getAnnotations() == null || !meta.getAnnotations().containsKey(CollabLabels.SESSION_UID))
                && CollabLabels.MANAGED_BY_VALUE.equals(labels.get(CollabLabels.MANAGED_BY))
                && session.getMetadata().getName().equals(labels.get(CollabLabels.SESSION));
    }

    /**
     * The first child found in the caches that the session may not use, as its condition; empty when all are usable
     * (absent ones are). {@code pod} must already be the session's own (see {@link WorkerLookup}).
     */
    static Optional<SpecProblem> firstForeign(
            CollabSession session, boolean claimedWorker, Pod pod, PersistentVolumeClaim claim, Secret access) {
        if (pod != null && !isSessions(pod, session)) {
            return Optional.of(foreign(pod, session));
        }
        if (claim != null
                && !usable(claim, session, claimedWorker)
                && !(pod != null && isUnmarkedRetainedClaim(claim, session))) {
            return Optional.of(foreign(claim, session));
        }
        if (access != null && !usable(access, session, claimedWorker)) {
            return Optional.of(foreign(access, session));
        }
        return Optional.empty();
    }

    /** A create answered 409 and the object under the name is someone else's. */
    static final class Foreign extends RuntimeException {
        private final transient HasMetadata child;

        Foreign(HasMetadata child) {
            super(null, null, false, false);
            this.child = child;
        }

        HasMetadata child() {
            return child;
        }
    }

    private static Optional<OwnerReference> controller(ObjectMeta meta) {
        return meta.getOwnerReferences() == null
                ? Optional.empty()
                : meta.getOwnerReferences().stream()
                        .filter(ref -> Boolean.TRUE.equals(ref.getController()))
                        .findFirst();
    }
}

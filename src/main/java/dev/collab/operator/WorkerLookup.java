package dev.collab.operator;

import dev.collab.api.CollabSession;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/** Finds a session's worker in the caches by the session label, whatever its names (cache reads only). */
final class WorkerLookup {
    private final InformerEventSource<Pod, CollabSession> pods;
    private final InformerEventSource<PersistentVolumeClaim, CollabSession> claims;

    WorkerLookup(
            InformerEventSource<Pod, CollabSession> pods,
            InformerEventSource<PersistentVolumeClaim, CollabSession> claims) {
        this.pods = pods;
        this.claims = claims;
    }

    /**
     * Pods labelled with the session that it controls: a label is anyone's to set (issue 30), a controller reference
     * to the session's uid only the operator's (or a warm-pool claim's) to write before that uid was known.
     */
    private List<Pod> ownPods(CollabSession session) {
        return pods.getSecondaryResources(session).stream()
                .filter(p -> ChildOwnership.isSessions(p, session))
                .toList();
    }

    /**
     * The names of the session's worker: those of the pod, else of the HOME claim, labelled with the session (a
     * claimed warm worker keeps its own names), else the session's name. Sorted, so that should two operators
     * overlapping in a failover each have started or claimed a worker for the session, every process keeps the
     * same one ({@link #duplicates} lists the others).
     */
    WorkerNames names(CollabSession session) {
        var podNames = ownPods(session).stream()
                .map(p -> p.getMetadata().getName())
                .sorted()
                .toList();
        if (!podNames.isEmpty()) {
            return WorkerNames.of(podNames.get(0));
        }
        return claims.getSecondaryResources(session).stream()
                .filter(c ->
                        ChildOwnership.isSessions(c, session) || ChildOwnership.isUnmarkedRetainedClaim(c, session))
                .map(c -> WorkerNames.fromHomeClaim(c.getMetadata().getName()))
                .filter(Objects::nonNull)
                .min(Comparator.comparing(WorkerNames::pod))
                .orElse(WorkerNames.of(session.getMetadata().getName()));
    }

    /** The session's own pods besides the one it uses (never a pod someone else labelled with the session). */
    List<Pod> duplicates(CollabSession session, WorkerNames names) {
        return ownPods(session).stream()
                .filter(p -> !p.getMetadata().getName().equals(names.pod()))
                .toList();
    }
}

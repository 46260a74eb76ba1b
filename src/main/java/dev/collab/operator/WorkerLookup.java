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
     * same one ({@link #find} lists the others as duplicates).
     */
    WorkerNames names(CollabSession session) {
        var podNames = ownPods(session).stream()
                .map(p -> p.getMetadata().getName())
                .sorted()
                .toList();
        if (!podNames.isEmpty()) {
            return WorkerNames.of(podNames.get(0));
        }
        return claimNames(session);
    }

    /** What one observation needs of the worker, from one read of the pod cache: names, pod, duplicates. */
    record Found(WorkerNames names, Pod pod, List<Pod> duplicates) {}

    /**
     * {@link #names}, the cached pod under those names (whoever's: {@link ChildOwnership} judges it) and the
     * session's own pods besides that one (never a pod someone else labelled with the session), reading the
     * session's pods once (the pod cache rebuilds each pod it hands out).
     */
    Found find(CollabSession session, WorkerPodDependent podsByName) {
        List<Pod> own = ownPods(session).stream()
                .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
                .toList();
        if (!own.isEmpty()) {
            return new Found(
                    WorkerNames.of(own.get(0).getMetadata().getName()), own.get(0), own.subList(1, own.size()));
        }
        WorkerNames names = claimNames(session);
        return new Found(names, podsByName.current(session, names), List.of());
    }

    private WorkerNames claimNames(CollabSession session) {
        return claims.getSecondaryResources(session).stream()
                .filter(c ->
                        ChildOwnership.isSessions(c, session) || ChildOwnership.isUnmarkedRetainedClaim(c, session))
                .map(c -> WorkerNames.fromHomeClaim(c.getMetadata().getName()))
                .filter(Objects::nonNull)
                .min(Comparator.comparing(WorkerNames::pod))
                .orElse(WorkerNames.of(session.getMetadata().getName()));
    }
}

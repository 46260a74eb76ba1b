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
     * The names of the session's worker: those of the pod, else of the HOME claim, labelled with the session (a
     * claimed warm worker keeps its own names), else the session's name. Sorted, so that should two operators
     * overlapping in a failover each have started or claimed a worker for the session, every process keeps the
     * same one ({@link #duplicates} lists the others).
     */
    WorkerNames names(CollabSession session) {
        var podNames = pods.getSecondaryResources(session).stream()
                .map(p -> p.getMetadata().getName())
                .sorted()
                .toList();
        if (!podNames.isEmpty()) {
            return WorkerNames.of(podNames.get(0));
        }
        return claims.getSecondaryResources(session).stream()
                .map(c -> WorkerNames.fromHomeClaim(c.getMetadata().getName()))
                .filter(Objects::nonNull)
                .min(Comparator.comparing(WorkerNames::pod))
                .orElse(WorkerNames.of(session.getMetadata().getName()));
    }

    /** Pods labelled with the session besides the one it uses. */
    List<Pod> duplicates(CollabSession session, WorkerNames names) {
        return pods.getSecondaryResources(session).stream()
                .filter(p -> !p.getMetadata().getName().equals(names.pod()))
                .toList();
    }
}

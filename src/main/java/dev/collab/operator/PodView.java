package dev.collab.operator;

import dev.collab.api.CollabLabels;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the operator reads from a live pod: readiness, endpoint, restarts and the kubelet's failure reasons.
 * {@code draining}: the pod is about to be replaced and its endpoint is withdrawn while its agent finishes
 * ({@link PodDrain}); only the operator's own plan says so, never the pod.
 */
public record PodView(
        String name,
        boolean terminating,
        boolean ready,
        String endpoint,
        int restartCount,
        String startedAt,
        Instant createdAt,
        String specHash,
        String credentialsHash,
        Failure failure,
        boolean draining) {

    public PodView(
            String name,
            boolean terminating,
            boolean ready,
            String endpoint,
            int restartCount,
            String startedAt,
            Instant createdAt,
            String specHash,
            String credentialsHash,
            Failure failure) {
        this(
                name,
                terminating,
                ready,
                endpoint,
                restartCount,
                startedAt,
                createdAt,
                specHash,
                credentialsHash,
                failure,
                false);
    }

    /** A reason the kubelet or scheduler gave for a pod that cannot run, copied into the Ready condition. */
    public record Failure(String reason, String message) {}

    /** Waiting reasons that mean the container cannot start until something changes. */
    private static final Set<String> BLOCKING_WAIT_REASONS = Set.of(
            "CrashLoopBackOff",
            "ImagePullBackOff",
            "ErrImagePull",
            "InvalidImageName",
            "CreateContainerConfigError",
            "CreateContainerError",
            "RunContainerError");

    /** The same pod, seen after the operator asked for its deletion. */
    public PodView terminatingCopy() {
        return new PodView(
                name, true, false, null, restartCount, startedAt, createdAt, specHash, credentialsHash, failure);
    }

    /** The same pod, withdrawn until its agent finishes: it is replaced next ({@link PodDrain}). */
    public PodView drainingCopy() {
        return new PodView(
                name, false, false, null, restartCount, startedAt, createdAt, specHash, credentialsHash, failure, true);
    }

    /** The same pod, not to be published yet (a claimed worker whose credentials have not arrived). */
    public PodView notReadyCopy() {
        return new PodView(
                name, terminating, false, null, restartCount, startedAt, createdAt, specHash, credentialsHash, failure);
    }

    public static PodView of(Pod pod, int defaultPort) {
        var status = pod.getStatus();
        var annotations = pod.getMetadata().getAnnotations() == null
                ? java.util.Map.<String, String>of()
                : pod.getMetadata().getAnnotations();
        boolean ready = status != null
                && conditions(pod).stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()))
                && status.getPodIP() != null
                && !status.getPodIP().isBlank();
        String port = annotations.getOrDefault(CollabLabels.ENDPOINT_PORT, Integer.toString(defaultPort));
        String endpoint = ready ? "http://" + hostLiteral(status.getPodIP()) + ":" + port : null;
        Optional<ContainerStatus> main = containerStatuses(pod, false).stream()
                .filter(c -> WorkerPodBuilder.CONTAINER.equals(c.getName()))
                .findFirst();
        int restarts = main.map(c -> c.getRestartCount() == null ? 0 : c.getRestartCount())
                .orElse(0);
        String startedAt = status == null ? null : status.getStartTime();
        return new PodView(
                pod.getMetadata().getName(),
                pod.getMetadata().getDeletionTimestamp() != null,
                ready,
                endpoint,
                restarts,
                startedAt,
                parse(annotations.getOrDefault(
                        CollabLabels.CREATED_AT, pod.getMetadata().getCreationTimestamp())),
                annotations.get(CollabLabels.SPEC_HASH),
                annotations.get(CollabLabels.CREDENTIALS_HASH),
                failure(pod).orElse(null));
    }

    static Optional<Failure> failure(Pod pod) {
        for (PodCondition c : conditions(pod)) {
            if ("PodScheduled".equals(c.getType())
                    && "False".equals(c.getStatus())
                    && "Unschedulable".equals(c.getReason())) {
                return Optional.of(new Failure("Unschedulable", orEmpty(c.getMessage())));
            }
        }
        for (ContainerStatus init : containerStatuses(pod, true)) {
            ContainerStateWaiting waiting =
                    init.getState() == null ? null : init.getState().getWaiting();
            if (waiting != null && isImageProblem(waiting.getReason())) {
                return Optional.of(
                        new Failure(waiting.getReason(), init.getName() + ": " + orEmpty(waiting.getMessage())));
            }
            var terminated = init.getState() == null ? null : init.getState().getTerminated();
            var last = init.getLastState() == null ? null : init.getLastState().getTerminated();
            if ((terminated != null && terminated.getExitCode() != null && terminated.getExitCode() != 0)
                    || (waiting != null && "CrashLoopBackOff".equals(waiting.getReason()))) {
                var exit = terminated != null ? terminated : last;
                String detail = exit == null
                        ? orEmpty(waiting.getMessage())
                        : "exit code " + exit.getExitCode()
                                + (exit.getMessage() == null ? "" : ": " + exit.getMessage());
                return Optional.of(new Failure("InitContainerFailed", init.getName() + " failed: " + detail));
            }
        }
        for (ContainerStatus c : containerStatuses(pod, false)) {
            ContainerStateWaiting waiting =
                    c.getState() == null ? null : c.getState().getWaiting();
            if (waiting != null && BLOCKING_WAIT_REASONS.contains(waiting.getReason())) {
                return Optional.of(
                        new Failure(waiting.getReason(), c.getName() + ": " + orEmpty(waiting.getMessage())));
            }
        }
        if (pod.getStatus() != null && "Failed".equals(pod.getStatus().getPhase())) {
            return Optional.of(new Failure("PodFailed", orEmpty(pod.getStatus().getMessage())));
        }
        return Optional.empty();
    }

    private static boolean isImageProblem(String reason) {
        return "ImagePullBackOff".equals(reason) || "ErrImagePull".equals(reason) || "InvalidImageName".equals(reason);
    }

    private static List<PodCondition> conditions(Pod pod) {
        return pod.getStatus() == null || pod.getStatus().getConditions() == null
                ? List.of()
                : pod.getStatus().getConditions();
    }

    private static List<ContainerStatus> containerStatuses(Pod pod, boolean init) {
        if (pod.getStatus() == null) {
            return List.of();
        }
        List<ContainerStatus> list = init
                ? pod.getStatus().getInitContainerStatuses()
                : pod.getStatus().getContainerStatuses();
        return list == null ? List.of() : list;
    }

    private static String hostLiteral(String ip) {
        return ip.contains(":") ? "[" + ip + "]" : ip;
    }

    private static Instant parse(String timestamp) {
        return Lifecycle.parseOrNull(timestamp);
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}

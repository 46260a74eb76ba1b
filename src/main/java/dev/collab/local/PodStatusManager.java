package dev.collab.local;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIPBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The kubelet's status manager for one pod: the container statuses and pod conditions as the runtime and prober
 * report them, written to the API as a whole status each time it changes.
 */
final class PodStatusManager {
    private static final Logger LOG = Logger.getLogger(PodStatusManager.class);

    private final KubernetesClient client;
    private final Pod pod;
    private final String key;
    private final Instant startTime = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private final Object lock = new Object();
    private volatile boolean report = true;

    // guarded by lock
    private final Map<String, ContainerStatus> initStatuses = new LinkedHashMap<>();
    private final Map<String, ContainerStatus> mainStatuses = new LinkedHashMap<>();
    private final Map<String, String> conditionTimes = new HashMap<>();
    private final Map<String, String> conditionValues = new HashMap<>();
    private boolean initialized;
    private boolean everStarted;
    private String lastReportedJson;

    PodStatusManager(KubernetesClient client, Pod pod) {
        this.client = client;
        this.pod = pod;
        this.key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
        List<Container> inits = ContainerLauncher.list(pod.getSpec().getInitContainers());
        for (Container c : inits) {
            initStatuses.put(c.getName(), waiting(c, "PodInitializing"));
        }
        for (Container c : ContainerLauncher.list(pod.getSpec().getContainers())) {
            mainStatuses.put(c.getName(), waiting(c, inits.isEmpty() ? "ContainerCreating" : "PodInitializing"));
        }
    }

    /** Stops writing to the API (node shutdown: the API may be going away as well). */
    void stopReporting() {
        report = false;
    }

    boolean initSucceeded(Container c) {
        synchronized (lock) {
            ContainerState state = initStatuses.get(c.getName()).getState();
            return state.getTerminated() != null && state.getTerminated().getExitCode() == 0;
        }
    }

    void allWaiting(String reason, String message) {
        synchronized (lock) {
            for (Map<String, ContainerStatus> statuses : List.of(initStatuses, mainStatuses)) {
                statuses.values().forEach(s -> s.setState(waitingState(reason, message)));
            }
        }
        report();
    }

    void waiting(boolean init, Container c, String reason, String message) {
        synchronized (lock) {
            ContainerStatus s = statuses(init).get(c.getName());
            s.setState(waitingState(reason, message));
            s.setReady(false);
        }
        report();
    }

    void running(boolean init, Container c, String startedAt, long pid) {
        synchronized (lock) {
            everStarted |= !init;
        }
        setState(init, c, new ContainerStateBuilder().withNewRunning().withStartedAt(startedAt).endRunning().build(), false, pid);
    }

    void completed(Container initContainer, ContainerState terminated, long pid) {
        setState(true, initContainer, terminated, true, pid);
    }

    void initialized() {
        synchronized (lock) {
            initialized = true;
        }
    }

    /** A crash: the restart is counted and the container waits in CrashLoopBackOff. */
    void crashed(boolean init, Container c, ContainerState terminated, String backoffMessage) {
        synchronized (lock) {
            ContainerStatus s = statuses(init).get(c.getName());
            s.setRestartCount(s.getRestartCount() + 1);
            s.setLastState(terminated);
            s.setState(waitingState("CrashLoopBackOff", backoffMessage));
            s.setReady(false);
            if (!init) {
                s.setStarted(false);
                s.setContainerID(null);
            }
        }
        report();
    }

    void ready(Container c, boolean ready) {
        synchronized (lock) {
            mainStatuses.get(c.getName()).setReady(ready);
        }
        LOG.debugf("local node: pod %s ready=%s", key, ready);
        report();
    }

    static ContainerState terminatedState(int exit, String startedAt, long pid) {
        return new ContainerStateBuilder().withNewTerminated().withExitCode(exit)
                .withReason(exit == 0 ? "Completed" : "Error").withStartedAt(startedAt).withFinishedAt(now())
                .withContainerID(containerId(pid)).endTerminated().build();
    }

    static String containerId(long pid) {
        return "local://" + pid;
    }

    static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private Map<String, ContainerStatus> statuses(boolean init) {
        return init ? initStatuses : mainStatuses;
    }

    private static ContainerStatus waiting(Container c, String reason) {
        return new ContainerStatusBuilder().withName(c.getName()).withImage(c.getImage()).withImageID("")
                .withReady(false).withStarted(false).withRestartCount(0)
                .withState(waitingState(reason, null)).withLastState(new ContainerState())
                .build();
    }

    private static ContainerState waitingState(String reason, String message) {
        return new ContainerStateBuilder().withNewWaiting().withReason(reason).withMessage(message).endWaiting().build();
    }

    private void setState(boolean init, Container c, ContainerState state, boolean ready, long pid) {
        synchronized (lock) {
            ContainerStatus s = statuses(init).get(c.getName());
            s.setState(state);
            s.setReady(ready);
            s.setStarted(state.getRunning() != null);
            s.setContainerID(containerId(pid));
        }
        report();
    }

    private PodStatus buildStatus() {
        synchronized (lock) {
            boolean containersReady = !mainStatuses.isEmpty() && mainStatuses.values().stream()
                    .allMatch(s -> Boolean.TRUE.equals(s.getReady()) || "LocalNodeUnsupported".equals(reasonOf(s)));
            boolean initDone = initialized || initStatuses.isEmpty();
            List<PodCondition> conditions = List.of(
                    condition("PodScheduled", true, null),
                    condition("Initialized", initDone, initDone ? null : "ContainersNotInitialized"),
                    condition("ContainersReady", containersReady, containersReady ? null : "ContainersNotReady"),
                    condition("Ready", containersReady, containersReady ? null : "ContainersNotReady"));
            return new PodStatusBuilder()
                    .withPhase(everStarted ? "Running" : "Pending")
                    .withConditions(conditions)
                    .withHostIP(LocalNodeSettings.POD_IP)
                    .withPodIP(LocalNodeSettings.POD_IP)
                    .withPodIPs(new PodIPBuilder().withIp(LocalNodeSettings.POD_IP).build())
                    .withStartTime(startTime.toString())
                    .withQosClass("Burstable")
                    .withInitContainerStatuses(copy(initStatuses))
                    .withContainerStatuses(copy(mainStatuses))
                    .build();
        }
    }

    private static String reasonOf(ContainerStatus s) {
        return s.getState() == null || s.getState().getWaiting() == null ? null : s.getState().getWaiting().getReason();
    }

    private PodCondition condition(String type, boolean value, String reason) {
        String status = value ? "True" : "False";
        if (!status.equals(conditionValues.put(type, status))) {
            conditionTimes.put(type, now());
        }
        return new PodConditionBuilder().withType(type).withStatus(status).withReason(reason)
                .withLastTransitionTime(conditionTimes.get(type)).build();
    }

    private static List<ContainerStatus> copy(Map<String, ContainerStatus> statuses) {
        return statuses.values().stream().map(s -> new ContainerStatusBuilder(s).build()).toList();
    }

    /** Replaces the whole status (JSON patch "add /status": the mock's merge patch would append to lists). */
    void report() {
        if (!report) {
            return;
        }
        String json;
        synchronized (lock) {
            json = Serialization.asJson(buildStatus());
            if (json.equals(lastReportedJson)) {
                return;
            }
            lastReportedJson = json;
        }
        try {
            client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                    .subresource("status").patch(PatchContext.of(PatchType.JSON),
                            "[{\"op\":\"add\",\"path\":\"/status\",\"value\":" + json + "}]");
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                LOG.debugf("local node: status of pod %s not written: %s", key, e.getMessage());
            }
        }
    }
}

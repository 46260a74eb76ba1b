package dev.collab.operator;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stands in for the scheduler and kubelet, which the mock API server does not have: every new worker
 * pod gets a status according to the behaviour the test chose for it (Ready with an IP by default).
 */
final class FakeKubelet implements AutoCloseable {

    enum Behaviour {
        READY,
        NEVER_READY,
        CRASH_LOOP,
        IMAGE_PULL,
        UNSCHEDULABLE,
        INIT_FAILS
    }

    private final KubernetesClient client;
    private final Clock clock;
    private final Map<String, Behaviour> behaviours = new ConcurrentHashMap<>();
    private final Map<String, String> endpointPorts = new ConcurrentHashMap<>();
    private final AtomicInteger nextIp = new AtomicInteger(10);
    private final SharedIndexInformer<Pod> informer;

    FakeKubelet(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
        this.informer = client.pods()
                .inAnyNamespace()
                .withLabel("collab.dev/role", "worker")
                .inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(Pod pod) {
                        if (pod.getStatus() == null || pod.getStatus().getPhase() == null) {
                            apply(pod);
                        }
                    }

                    @Override
                    public void onUpdate(Pod oldPod, Pod newPod) {
                        if (newPod.getStatus() == null || newPod.getStatus().getPhase() == null) {
                            apply(newPod);
                        }
                    }

                    @Override
                    public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {}
                });
    }

    /** How pods of this session behave from now on (applies to the next pod, or use {@link #restatus}). */
    void behave(String session, Behaviour behaviour) {
        behaviours.put(session, behaviour);
    }

    /** How new warm workers of this pool behave from now on. */
    void behaveForPool(String pool, Behaviour behaviour) {
        behaviours.put("pool:" + pool, behaviour);
    }

    /** Pods of this session run on 127.0.0.1 at this port (a fake opencode the test started). */
    void serveOnLoopback(String session, int port) {
        endpointPorts.put(session, Integer.toString(port));
    }

    /** Re-applies the session's behaviour to its current pod, like a kubelet noticing a change. */
    void restatus(String namespace, String session) {
        Pod pod = client.pods().inNamespace(namespace).withName(session).get();
        if (pod != null) {
            apply(pod);
        }
    }

    private void apply(Pod pod) {
        String session = pod.getMetadata().getName();
        String pool = pod.getMetadata().getLabels() == null
                ? null
                : pod.getMetadata().getLabels().get("collab.dev/pool");
        Behaviour behaviour = behaviours.getOrDefault(
                session, pool == null ? Behaviour.READY : behaviours.getOrDefault("pool:" + pool, Behaviour.READY));
        String port = endpointPorts.get(session);
        String ip = port != null ? "127.0.0.1" : "10.42.0." + nextIp.getAndIncrement();
        pod.setStatus(status(behaviour, ip));
        if (port != null) {
            pod.getMetadata().getAnnotations().put("collab.dev/endpoint-port", port);
        }
        client.pods().resource(pod).update();
    }

    private PodStatus status(Behaviour behaviour, String ip) {
        String now = clock.instant().toString();
        PodStatusBuilder status = new PodStatusBuilder().withStartTime(now);
        switch (behaviour) {
            case READY ->
                status.withPhase("Running")
                        .withPodIP(ip)
                        .withConditions(
                                condition("PodScheduled", "True", null, null), condition("Ready", "True", null, null))
                        .withContainerStatuses(new ContainerStatusBuilder()
                                .withName("opencode")
                                .withReady(true)
                                .withRestartCount(0)
                                .withNewState()
                                .withNewRunning()
                                .withStartedAt(now)
                                .endRunning()
                                .endState()
                                .build());
            case NEVER_READY ->
                status.withPhase("Running")
                        .withPodIP(ip)
                        .withConditions(
                                condition("Ready", "False", "ContainersNotReady", "containers with unready status"))
                        .withContainerStatuses(new ContainerStatusBuilder()
                                .withName("opencode")
                                .withReady(false)
                                .withRestartCount(0)
                                .withNewState()
                                .withNewRunning()
                                .withStartedAt(now)
                                .endRunning()
                                .endState()
                                .build());
            case CRASH_LOOP ->
                status.withPhase("Running")
                        .withPodIP(ip)
                        .withConditions(
                                condition("Ready", "False", "ContainersNotReady", "containers with unready status"))
                        .withContainerStatuses(new ContainerStatusBuilder()
                                .withName("opencode")
                                .withReady(false)
                                .withRestartCount(4)
                                .withNewState()
                                .withNewWaiting()
                                .withReason("CrashLoopBackOff")
                                .withMessage("back-off 1m20s restarting failed container=opencode")
                                .endWaiting()
                                .endState()
                                .build());
            case IMAGE_PULL ->
                status.withPhase("Pending")
                        .withInitContainerStatuses(new ContainerStatusBuilder()
                                .withName("seed-home")
                                .withReady(false)
                                .withRestartCount(0)
                                .withNewState()
                                .withNewWaiting()
                                .withReason("ImagePullBackOff")
                                .withMessage("Back-off pulling image \"example.invalid/opencode:nope\"")
                                .endWaiting()
                                .endState()
                                .build());
            case UNSCHEDULABLE ->
                status.withPhase("Pending")
                        .withConditions(condition(
                                "PodScheduled",
                                "False",
                                "Unschedulable",
                                "0/3 nodes are available: 3 Insufficient memory."));
            case INIT_FAILS ->
                status.withPhase("Pending")
                        .withInitContainerStatuses(new ContainerStatusBuilder()
                                .withName("seed-home")
                                .withReady(false)
                                .withRestartCount(2)
                                .withNewState()
                                .withNewWaiting()
                                .withReason("CrashLoopBackOff")
                                .endWaiting()
                                .endState()
                                .withNewLastState()
                                .withNewTerminated()
                                .withExitCode(1)
                                .withReason("Error")
                                .endTerminated()
                                .endLastState()
                                .build());
        }
        return status.build();
    }

    private static io.fabric8.kubernetes.api.model.PodCondition condition(
            String type, String status, String reason, String message) {
        return new PodConditionBuilder()
                .withType(type)
                .withStatus(status)
                .withReason(reason)
                .withMessage(message)
                .build();
    }

    @Override
    public void close() {
        informer.close();
    }
}

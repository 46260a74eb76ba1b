package dev.collab.testing;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A FAKE kubelet for the real control plane, which has no node and no container runtime: every new pod with the
 * label {@code collab.dev/role=worker} in the namespace gets a Running, Ready status with a made-up pod IP, written
 * through the pods/status subresource as a kubelet would (one write per pod). Sessions named in
 * {@link #holdBack} keep the Pending status the API server gave them, and so do pods matching
 * {@link #holdBackWhere} until {@link #releaseAll}.
 */
public final class StatusSubresourceKubelet implements AutoCloseable {
    private final KubernetesClient client;
    private final SharedIndexInformer<Pod> informer;
    private final AtomicInteger nextIp = new AtomicInteger(1);
    private final Set<String> heldBack = ConcurrentHashMap.newKeySet();
    private final AtomicInteger statusWrites = new AtomicInteger();
    private volatile Predicate<Pod> holdWhere = p -> false;

    public StatusSubresourceKubelet(KubernetesClient client, String namespace) {
        this.client = client;
        this.informer = client.pods()
                .inNamespace(namespace)
                .withLabel("collab.dev/role", "worker")
                .inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(Pod pod) {
                        run(pod);
                    }

                    @Override
                    public void onUpdate(Pod oldPod, Pod newPod) {
                        run(newPod);
                    }

                    @Override
                    public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {}
                });
    }

    /** Pods of this session stay Pending (never started). */
    public void holdBack(String session) {
        heldBack.add(session);
    }

    /** Pods matching the predicate (from now on) stay Pending until {@link #releaseAll}. */
    public void holdBackWhere(Predicate<Pod> predicate) {
        holdWhere = predicate;
    }

    /** Starts every pod held back by {@link #holdBackWhere} or {@link #holdBack}, and later ones. */
    public void releaseAll() {
        holdWhere = p -> false;
        heldBack.clear();
        informer.getStore().list().forEach(this::run);
    }

    /** Status writes this kubelet made (they are not the operator's). */
    public int statusWrites() {
        return statusWrites.get();
    }

    private void run(Pod pod) {
        boolean started = pod.getStatus() != null && pod.getStatus().getPodIP() != null;
        if (started
                || pod.getMetadata().getDeletionTimestamp() != null
                || heldBack.contains(pod.getMetadata().getName())
                || holdWhere.test(pod)) {
            return;
        }
        int n = nextIp.getAndIncrement();
        String now = Instant.now().toString();
        pod.setStatus(new PodStatusBuilder(pod.getStatus())
                .withPhase("Running")
                .withPodIP("10.244." + (n / 250) + "." + (n % 250 + 1))
                .withHostIP("10.0.0.1")
                .withStartTime(now)
                .withConditions(
                        new PodConditionBuilder()
                                .withType("PodScheduled")
                                .withStatus("True")
                                .build(),
                        new PodConditionBuilder()
                                .withType("Initialized")
                                .withStatus("True")
                                .build(),
                        new PodConditionBuilder()
                                .withType("ContainersReady")
                                .withStatus("True")
                                .build(),
                        new PodConditionBuilder()
                                .withType("Ready")
                                .withStatus("True")
                                .build())
                .withContainerStatuses(new ContainerStatusBuilder()
                        .withName(pod.getSpec().getContainers().get(0).getName())
                        .withImage(pod.getSpec().getContainers().get(0).getImage())
                        .withReady(true)
                        .withStarted(true)
                        .withRestartCount(0)
                        .withNewState()
                        .withNewRunning()
                        .withStartedAt(now)
                        .endRunning()
                        .endState()
                        .build())
                .build());
        try {
            client.pods().resource(pod).updateStatus();
            statusWrites.incrementAndGet();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409 && e.getCode() != 404) {
                throw e;
            }
            // 409: the pod changed since the informer saw it; the update event brings it back here.
        }
    }

    @Override
    public void close() {
        informer.close();
    }
}

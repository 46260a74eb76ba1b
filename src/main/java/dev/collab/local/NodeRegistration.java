package dev.collab.local;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The local node as the control plane sees it, like a kubelet registers it: a Node object {@code collab-local}
 * (loopback address, this machine's CPUs and memory), its Ready condition through the status subresource, and a
 * Lease in kube-node-lease renewed every 10 s, so the node lifecycle controller keeps it Ready and does not evict
 * its pods.
 */
final class NodeRegistration implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NodeRegistration.class);
    static final String LEASE_NAMESPACE = "kube-node-lease";
    private static final int LEASE_SECONDS = 40;
    /** The kubelet reports its status at least this often even without changes (nodeStatusReportFrequency). */
    private static final int STATUS_EVERY_BEATS = 6;

    private final KubernetesClient client;
    private final ScheduledExecutorService beat = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "collab-local-node-heartbeat");
        t.setDaemon(true);
        return t;
    });
    private int beats;
    private boolean registered;

    NodeRegistration(KubernetesClient client) {
        this.client = client;
    }

    void start() {
        beat.scheduleWithFixedDelay(this::heartbeat, 0, 10, TimeUnit.SECONDS);
    }

    /** The Node object (labels as a kubelet sets them); kept when it exists, like a kubelet re-registering. */
    private void register() {
        Node node = new NodeBuilder()
                .withNewMetadata()
                .withName(LocalNodeSettings.NODE_NAME)
                .withLabels(Map.of(
                        "kubernetes.io/hostname", LocalNodeSettings.NODE_NAME,
                        "kubernetes.io/os", "linux",
                        "collab.dev/local-node", "true"))
                .endMetadata()
                .build();
        try {
            client.nodes().resource(node).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
    }

    /** The node status as a whole (strategic merge: conditions by type). */
    static Map<String, Object> status(String now) {
        Map<String, Object> resources = Map.of(
                "cpu",
                Integer.toString(Runtime.getRuntime().availableProcessors()),
                "memory",
                memoryMebibytes() + "Mi",
                "pods",
                "110");
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("capacity", resources);
        status.put("allocatable", resources);
        status.put(
                "addresses",
                List.of(
                        Map.of("type", "InternalIP", "address", LocalNodeSettings.POD_IP),
                        Map.of("type", "Hostname", "address", LocalNodeSettings.NODE_NAME)));
        status.put(
                "conditions",
                List.of(Map.of(
                        "type", "Ready",
                        "status", "True",
                        "reason", "KubeletReady",
                        "message", "collab local node is posting ready status",
                        "lastHeartbeatTime", now,
                        "lastTransitionTime", now)));
        status.put(
                "nodeInfo",
                Map.of(
                        "operatingSystem",
                        "linux",
                        "architecture",
                        System.getProperty("os.arch"),
                        "kubeletVersion",
                        "collab-local",
                        "containerRuntimeVersion",
                        "local-processes://" + System.getProperty("os.name"),
                        "osImage",
                        System.getProperty("os.name") + " " + System.getProperty("os.version")));
        return status;
    }

    private static long memoryMebibytes() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                        instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getTotalMemorySize() / (1024 * 1024)
                : Runtime.getRuntime().maxMemory() / (1024 * 1024);
    }

    private void reportStatus() {
        // Instant prints the seconds always (ZonedDateTime drops ":00", which the API server refuses)
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        client.nodes()
                .withName(LocalNodeSettings.NODE_NAME)
                .subresource("status")
                .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), Serialization.asJson(Map.of("status", status(now))));
    }

    /** Registers (retried each beat until it worked, as a kubelet does), then renews the Lease. */
    private void heartbeat() {
        try {
            if (!registered) {
                register();
                reportStatus();
                registered = true;
                LOG.infof("local node registered as Node %s", LocalNodeSettings.NODE_NAME);
            }
            renewLease();
            if (++beats % STATUS_EVERY_BEATS == 0) {
                reportStatus();
            }
        } catch (RuntimeException e) {
            LOG.warnf("local node heartbeat failed (retried in 10 s): %s", e.getMessage());
        }
    }

    private void renewLease() {
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
        Lease existing = client.leases()
                .inNamespace(LEASE_NAMESPACE)
                .withName(LocalNodeSettings.NODE_NAME)
                .get();
        if (existing == null) {
            client.leases()
                    .inNamespace(LEASE_NAMESPACE)
                    .resource(new LeaseBuilder()
                            .withNewMetadata()
                            .withName(LocalNodeSettings.NODE_NAME)
                            .withNamespace(LEASE_NAMESPACE)
                            .endMetadata()
                            .withNewSpec()
                            .withHolderIdentity(LocalNodeSettings.NODE_NAME)
                            .withLeaseDurationSeconds(LEASE_SECONDS)
                            .withRenewTime(now)
                            .endSpec()
                            .build())
                    .create();
        } else {
            existing.getSpec().setRenewTime(now);
            client.leases().inNamespace(LEASE_NAMESPACE).resource(existing).update();
        }
    }

    @Override
    public void close() {
        beat.shutdownNow();
    }
}

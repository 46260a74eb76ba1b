package dev.collab.operator;

import dev.collab.api.GoDuration;
import dev.collab.config.CollabConfig;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The operator's view of its configuration: plain values, so builders and tests need no CDI. */
public record OperatorSettings(
        String image,
        int port,
        Duration idleTimeout,
        String storageSize,
        String storageClass,
        ResourceRequirements resources,
        String serviceAccountName,
        long runAsUser,
        Duration startTimeout,
        int maxRunning,
        int maxRunningPerOwner,
        Duration busyMax,
        GatewayLink gateway) {

    public static OperatorSettings from(CollabConfig config) {
        CollabConfig.Session s = config.session();
        return new OperatorSettings(s.image(), s.port(), GoDuration.parse(s.idleTimeout()), s.storageSize(),
                s.storageClass().orElse(null), resources(s.resources()), s.serviceAccountName().orElse(null),
                s.runAsUser(), s.startTimeout(), config.maxRunning(), config.maxRunningPerOwner(), s.busyMax(),
                GatewayLink.from(config));
    }

    /** Defaults used by tests: the DESIGN.md values. */
    public static OperatorSettings defaults() {
        return new OperatorSettings("ghcr.io/anomalyco/opencode:1.18.33", 4096, Duration.ofMinutes(30), "2Gi", null,
                new ResourceRequirementsBuilder()
                        .addToRequests("cpu", new Quantity("100m")).addToRequests("memory", new Quantity("512Mi"))
                        .addToLimits("memory", new Quantity("1Gi")).build(),
                null, 1000, Duration.ofMinutes(5), 0, 0, Duration.ofHours(2), GatewayLink.defaults());
    }

    public OperatorSettings withCaps(int maxRunning, int maxRunningPerOwner) {
        return new OperatorSettings(image, port, idleTimeout, storageSize, storageClass, resources, serviceAccountName,
                runAsUser, startTimeout, maxRunning, maxRunningPerOwner, busyMax, gateway);
    }

    public OperatorSettings withStartTimeout(Duration timeout) {
        return new OperatorSettings(image, port, idleTimeout, storageSize, storageClass, resources, serviceAccountName,
                runAsUser, timeout, maxRunning, maxRunningPerOwner, busyMax, gateway);
    }

    public OperatorSettings withBusyMax(Duration max) {
        return new OperatorSettings(image, port, idleTimeout, storageSize, storageClass, resources, serviceAccountName,
                runAsUser, startTimeout, maxRunning, maxRunningPerOwner, max, gateway);
    }

    public OperatorSettings withGateway(GatewayLink link) {
        return new OperatorSettings(image, port, idleTimeout, storageSize, storageClass, resources, serviceAccountName,
                runAsUser, startTimeout, maxRunning, maxRunningPerOwner, busyMax, link);
    }

    private static ResourceRequirements resources(CollabConfig.Resources r) {
        return new ResourceRequirementsBuilder()
                .withRequests(amounts(r.requestsCpu(), r.requestsMemory()))
                .withLimits(amounts(r.limitsCpu(), r.limitsMemory()))
                .build();
    }

    private static Map<String, Quantity> amounts(Optional<String> cpu, Optional<String> memory) {
        Map<String, Quantity> amounts = new LinkedHashMap<>();
        cpu.filter(v -> !v.isBlank()).ifPresent(v -> amounts.put("cpu", new Quantity(v)));
        memory.filter(v -> !v.isBlank()).ifPresent(v -> amounts.put("memory", new Quantity(v)));
        return amounts;
    }
}

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
        Duration drainMax,
        boolean allowEnvValueFrom,
        GatewayLink gateway) {

    public static OperatorSettings from(CollabConfig config) {
        CollabConfig.Session s = config.session();
        return new OperatorSettings(
                s.image(),
                s.port(),
                GoDuration.parse(s.idleTimeout()),
                s.storageSize(),
                s.storageClass().orElse(null),
                resources(s.resources()),
                s.serviceAccountName().orElse(null),
                s.runAsUser(),
                s.startTimeout(),
                config.maxRunning(),
                config.maxRunningPerOwner(),
                s.busyMax(),
                s.drainMax(),
                s.allowEnvValueFrom(),
                GatewayLink.from(config));
    }

    /** Every key at its default ({@link CollabConfig#defaults()}): what tests run with. */
    public static OperatorSettings defaults() {
        return from(CollabConfig.defaults());
    }

    public OperatorSettings withCaps(int maxRunning, int maxRunningPerOwner) {
        return new OperatorSettings(
                image,
                port,
                idleTimeout,
                storageSize,
                storageClass,
                resources,
                serviceAccountName,
                runAsUser,
                startTimeout,
                maxRunning,
                maxRunningPerOwner,
                busyMax,
                drainMax,
                allowEnvValueFrom,
                gateway);
    }

    public OperatorSettings withStartTimeout(Duration timeout) {
        return new OperatorSettings(
                image,
                port,
                idleTimeout,
                storageSize,
                storageClass,
                resources,
                serviceAccountName,
                runAsUser,
                timeout,
                maxRunning,
                maxRunningPerOwner,
                busyMax,
                drainMax,
                allowEnvValueFrom,
                gateway);
    }

    public OperatorSettings withBusyMax(Duration max) {
        return new OperatorSettings(
                image,
                port,
                idleTimeout,
                storageSize,
                storageClass,
                resources,
                serviceAccountName,
                runAsUser,
                startTimeout,
                maxRunning,
                maxRunningPerOwner,
                max,
                drainMax,
                allowEnvValueFrom,
                gateway);
    }

    public OperatorSettings withDrainMax(Duration max) {
        return new OperatorSettings(
                image,
                port,
                idleTimeout,
                storageSize,
                storageClass,
                resources,
                serviceAccountName,
                runAsUser,
                startTimeout,
                maxRunning,
                maxRunningPerOwner,
                busyMax,
                max,
                allowEnvValueFrom,
                gateway);
    }

    public OperatorSettings withAllowEnvValueFrom(boolean allow) {
        return new OperatorSettings(
                image,
                port,
                idleTimeout,
                storageSize,
                storageClass,
                resources,
                serviceAccountName,
                runAsUser,
                startTimeout,
                maxRunning,
                maxRunningPerOwner,
                busyMax,
                drainMax,
                allow,
                gateway);
    }

    public OperatorSettings withGateway(GatewayLink link) {
        return new OperatorSettings(
                image,
                port,
                idleTimeout,
                storageSize,
                storageClass,
                resources,
                serviceAccountName,
                runAsUser,
                startTimeout,
                maxRunning,
                maxRunningPerOwner,
                busyMax,
                drainMax,
                allowEnvValueFrom,
                link);
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

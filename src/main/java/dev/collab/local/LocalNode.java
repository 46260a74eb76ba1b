package dev.collab.local;

import dev.collab.config.CollabConfig;
import dev.collab.config.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.file.Path;
import java.util.Optional;

/** Starts the local node (kubelet stand-in) and the local controllers, only in role local. */
@ApplicationScoped
public class LocalNode {
    private final KubernetesClient client;
    private final CollabConfig config;
    private LocalKubelet kubelet;
    private LocalControllers controllers;

    public LocalNode(KubernetesClient client, CollabConfig config) {
        this.client = client;
        this.config = config;
    }

    synchronized void onStart(@Observes StartupEvent event) {
        if (config.role() != Role.local) {
            return;
        }
        LocalNodeSettings settings = LocalNodeSettings.of(Path.of(config.local().dataDir()).toAbsolutePath(),
                config.local().opencodeCommand(), Optional.ofNullable(client.getNamespace()).orElse("default"));
        controllers = new LocalControllers(client, settings);
        controllers.start();
        kubelet = new LocalKubelet(client, settings);
        kubelet.start();
    }

    synchronized void onStop(@Observes ShutdownEvent event) {
        if (kubelet != null) {
            kubelet.close();
            kubelet = null;
        }
        if (controllers != null) {
            controllers.close();
            controllers = null;
        }
    }
}

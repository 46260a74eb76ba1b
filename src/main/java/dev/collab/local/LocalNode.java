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

/**
 * Starts the local node (kubelet stand-in) and the local controllers, only in role local. On the control plane
 * the node registers itself as a Node and binds its pods; the bootstrap has resolved collab.local.api and
 * collab.local.sandbox (bwrap path or none) by then.
 */
@ApplicationScoped
public class LocalNode {
    private final KubernetesClient client;
    private final CollabConfig config;
    private LocalKubelet kubelet;
    private LocalControllers controllers;
    private NodeRegistration node;

    public LocalNode(KubernetesClient client, CollabConfig config) {
        this.client = client;
        this.config = config;
    }

    synchronized void onStart(@Observes StartupEvent event) {
        if (config.role() != Role.local) {
            return;
        }
        boolean controlPlane =
                LocalBootstrap.CONTROL_PLANE.equals(config.local().api());
        LocalNodeSettings settings = LocalNodeSettings.of(
                        Path.of(config.local().dataDir()).toAbsolutePath(),
                        config.local().opencodeCommand(),
                        Optional.ofNullable(client.getNamespace()).orElse("default"))
                .withNode(controlPlane, config.local().sandbox());
        if (controlPlane) {
            node = new NodeRegistration(client);
            node.start();
        }
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
        if (node != null) {
            node.close();
            node = null;
        }
    }
}

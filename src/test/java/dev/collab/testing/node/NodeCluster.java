package dev.collab.testing.node;

import dev.collab.testing.ControlPlane;
import dev.collab.testing.Kubectl;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The control plane and the real node of the {@code *NodeIT} tier, with the images built here. Closed (node first,
 * then control plane) by JUnit when the run ends.
 */
public record NodeCluster(ControlPlane plane, RealNode node, NodeImages images) implements AutoCloseable {

    public KubernetesClient admin() {
        return plane.admin();
    }

    public Kubectl kubectl() {
        return plane.kubectl();
    }

    /** JUnit closes it at the end of the run, and a shutdown hook when the JVM is stopped: both are safe. */
    @Override
    public synchronized void close() {
        try {
            node.close();
        } finally {
            plane.close();
        }
    }
}

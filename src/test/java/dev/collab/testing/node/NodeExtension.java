package dev.collab.testing.node;

import dev.collab.local.controlplane.ControlPlaneBinaries;
import dev.collab.local.controlplane.NodeSupport;
import dev.collab.testing.ControlPlane;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension for the {@code *NodeIT} tier: one control plane and one {@link RealNode} for the test class
 * (their own, not the {@code *ControlPlaneIT} tier's: that tier's pods must never run), injected as a {@link
 * NodeCluster}, stopped when the class ends, failed or not (the tiers after it get the machine back). Without root,
 * the node binaries or the images the tier is reported as skipped with the reason, unless
 * {@code COLLAB_NODE_REQUIRED=true} (CI), where it fails.
 */
public final class NodeExtension implements ExecutionCondition, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(NodeExtension.class);
    static final String NODE_NAME = "collab-node";
    /** Fixed, so that a killed run's leftovers are found and removed by the next start. */
    static final Path NODE_DIR = Path.of("/var/tmp/collab-test-node");

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        Optional<String> missing = missing();
        if (missing.isEmpty()) {
            return ConditionEvaluationResult.enabled("node binaries, images and root are there");
        }
        if (required()) {
            // enabled, so that resolving the parameter fails the tests with the reason
            return ConditionEvaluationResult.enabled("COLLAB_NODE_REQUIRED is set: " + missing.get());
        }
        return ConditionEvaluationResult.disabled(missing.get());
    }

    private static Optional<String> missing() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return Optional.of("the test node needs root (containers, mounts, iptables)");
        }
        if (ControlPlaneBinaries.find().isEmpty()) {
            return Optional.of("no control plane binaries in " + ControlPlaneBinaries.location()
                    + ": run tools/control-plane/build.sh");
        }
        if (NodeBinaries.find().isEmpty()) {
            return Optional.of("no node binaries in " + NodeBinaries.location() + ": run tools/node/build.sh");
        }
        if (NodeImages.find().isEmpty()) {
            return Optional.of("no images named by " + NodeImages.location() + ": run tools/images/build.sh");
        }
        return Optional.empty();
    }

    private static boolean required() {
        return Boolean.parseBoolean(System.getenv("COLLAB_NODE_REQUIRED")) || dev.collab.testing.Tiers.required();
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == NodeCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        missing().ifPresent(reason -> {
            throw new IllegalStateException("the *NodeIT tier cannot run: " + reason);
        });
        return context.getStore(NAMESPACE)
                .getOrComputeIfAbsent(NodeCluster.class, k -> startCluster(), NodeCluster.class);
    }

    private static NodeCluster startCluster() {
        NodeLayout layout =
                new NodeLayout(NODE_DIR, NodeBinaries.find().orElseThrow(), hostAddress(), NODE_NAME, "10.244.0.0/24");
        RealNode.cleanup(layout);
        NodeCerts certs = NodeCerts.create(NODE_DIR.resolve("pki"));
        String kubeletToken = UUID.randomUUID().toString();
        ControlPlane plane = ControlPlane.startForNode(
                ControlPlaneBinaries.find().orElseThrow(),
                new NodeSupport(
                        layout.address(),
                        NODE_NAME,
                        kubeletToken,
                        certs.apiServerClientCert(),
                        certs.apiServerClientKey(),
                        NodeLayout.CLUSTER_CIDR));
        try {
            RealNode node = RealNode.start(
                    layout, plane, certs, kubeletToken, NodeImages.find().orElseThrow());
            NodeCluster cluster = new NodeCluster(plane, node, NodeImages.find().orElseThrow());
            // a test JVM stopped by a signal (a CI timeout, Ctrl-C) still removes the node's containers, mounts, rules
            Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "node-cleanup"));
            return cluster;
        } catch (RuntimeException | Error e) {
            plane.close();
            throw e;
        }
    }

    /** The machine's first IPv4 address that is not loopback (pods reach the API server there). */
    static String hostAddress() {
        try {
            return NetworkInterface.networkInterfaces()
                    .filter(i -> !i.getName().equals(NodeLayout.BRIDGE)
                            && !i.getName().startsWith("veth"))
                    .filter(NodeExtension::up)
                    .flatMap(NetworkInterface::inetAddresses)
                    .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                    .map(InetAddress::getHostAddress)
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("no IPv4 address besides loopback for the node"));
        } catch (SocketException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean up(NetworkInterface i) {
        try {
            return i.isUp() && !i.isLoopback();
        } catch (SocketException e) {
            return false;
        }
    }
}

package dev.collab.local.controlplane;

import java.nio.file.Path;
import java.util.List;

/**
 * What a real node (kubelet, kube-proxy, containers on a bridge network) needs from the control plane: an API server
 * that pods reach on a host address (kube-proxy sends the {@code kubernetes} Service there; the API server's
 * self-signed certificate names that address and the Service's first IP), the Node authorizer and a static token for
 * the kubelet's {@code system:node:<name>} identity, a client certificate with which the API server calls the
 * kubelet ({@code kubectl logs}/{@code exec}/{@code port-forward}), and a pod CIDR per node from the controller
 * manager, with its host-path provisioner for PersistentVolumeClaims (single node, test use only).
 *
 * @param address           the host address the API server binds and advertises (reachable from pods)
 * @param nodeName          the kubelet's node name
 * @param kubeletToken      the kubelet's bearer token (user {@code system:node:<nodeName>}, group system:nodes)
 * @param kubeletClientCert the API server's client certificate towards the kubelet (PEM)
 * @param kubeletClientKey  its key (PEM)
 * @param clusterCidr       the pod network; each node gets a /24 of it
 */
public record NodeSupport(
        String address,
        String nodeName,
        String kubeletToken,
        Path kubeletClientCert,
        Path kubeletClientKey,
        String clusterCidr) {

    /** The kubelet's line of the static token file. */
    String tokenLine() {
        return kubeletToken + ",system:node:" + nodeName + ",kubelet-" + nodeName + ",\"system:nodes\"\n";
    }

    List<String> apiServerArgs() {
        return List.of(
                "--kubelet-client-certificate",
                kubeletClientCert.toString(),
                "--kubelet-client-key",
                kubeletClientKey.toString(),
                "--kubelet-preferred-address-types",
                "InternalIP");
    }

    List<String> controllerManagerArgs() {
        return List.of(
                "--allocate-node-cidrs",
                "--cluster-cidr",
                clusterCidr,
                "--node-cidr-mask-size",
                "24",
                "--service-cluster-ip-range",
                "10.96.0.0/24",
                "--enable-hostpath-provisioner");
    }
}

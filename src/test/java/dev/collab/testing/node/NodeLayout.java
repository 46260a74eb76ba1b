package dev.collab.testing.node;

import java.nio.file.Path;

/**
 * Where the test node keeps its state, all under one directory: containerd's root, state and socket, the kubelet's
 * root and certificates, the CNI configuration and IP allocations, the local volumes and the logs.
 *
 * @param dir      the node's directory
 * @param bin      the node binaries ({@code tools/node/build.sh})
 * @param address  the host address the kubelet serves on and the API server is reached at
 * @param nodeName the Node's name
 * @param podCidr  this node's pod subnet (a /24 of the cluster CIDR)
 */
public record NodeLayout(Path dir, Path bin, String address, String nodeName, String podCidr) {
    public static final String CLUSTER_CIDR = "10.244.0.0/16";
    public static final String CLUSTER_DNS = "10.96.0.10";
    public static final String BRIDGE = "collab0";

    public Path containerdSocket() {
        return dir.resolve("containerd/containerd.sock");
    }

    public Path containerdConfig() {
        return dir.resolve("containerd.toml");
    }

    public Path cniConfDir() {
        return dir.resolve("cni");
    }

    public Path kubeletRoot() {
        return dir.resolve("kubelet");
    }

    public Path kubeletConfig() {
        return dir.resolve("kubelet.yaml");
    }

    public Path kubeProxyConfig() {
        return dir.resolve("kube-proxy.yaml");
    }

    public Path pki() {
        return dir.resolve("pki");
    }

    public Path volumes() {
        return dir.resolve("volumes");
    }

    public Path logs() {
        return dir.resolve("logs");
    }

    public Path bin(String name) {
        return bin.resolve(name);
    }
}

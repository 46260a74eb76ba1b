package dev.collab.testing.node;

/**
 * The configuration files of the test node, as pure functions of its {@link NodeLayout}. What each setting is for is
 * what it took on these machines (a VM, root, cgroup v1, no systemd, a disk the eviction manager cannot stat).
 */
public final class NodeConfigs {
    private NodeConfigs() {}

    /**
     * containerd 2.x (config version 3): CRI with runc from the node build, cgroupfs, CNI from Debian's plugins, the
     * locally built pause image pinned as the sandbox image. {@code restrict_oom_score_adj}: without it runc init
     * fails to lower its own oom_score_adj in this VM ("Permission denied").
     */
    public static String containerd(NodeLayout node, String pauseImage) {
        return """
                version = 3
                root = "%1$s/containerd/root"
                state = "%1$s/containerd/state"

                [grpc]
                  address = "%2$s"

                [ttrpc]
                  address = "%2$s.ttrpc"

                [plugins."io.containerd.cri.v1.runtime"]
                  restrict_oom_score_adj = true
                  enable_selinux = false
                  disable_apparmor = true
                  [plugins."io.containerd.cri.v1.runtime".containerd]
                    default_runtime_name = "runc"
                    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
                      runtime_type = "io.containerd.runc.v2"
                      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
                        BinaryName = "%3$s"
                        SystemdCgroup = false
                  [plugins."io.containerd.cri.v1.runtime".cni]
                    bin_dirs = ["/usr/lib/cni"]
                    conf_dir = "%4$s"

                [plugins."io.containerd.cri.v1.images"]
                  [plugins."io.containerd.cri.v1.images".pinned_images]
                    sandbox = "%5$s"
                """.formatted(node.dir(), node.containerdSocket(), node.bin("runc"), node.cniConfDir(), pauseImage);
    }

    /** A bridge network for this node's pod subnet; the node's own address is the gateway, hairpin for Services. */
    public static String cni(NodeLayout node) {
        return """
                {
                  "cniVersion": "1.0.0",
                  "name": "collab",
                  "plugins": [
                    {
                      "type": "bridge",
                      "bridge": "%s",
                      "isGateway": true,
                      "ipMasq": true,
                      "hairpinMode": true,
                      "ipam": {
                        "type": "host-local",
                        "ranges": [[{"subnet": "%s"}]],
                        "routes": [{"dst": "0.0.0.0/0"}],
                        "dataDir": "%s"
                      }
                    },
                    {"type": "portmap", "capabilities": {"portMappings": true}}
                  ]
                }
                """.formatted(NodeLayout.BRIDGE, node.podCidr(), node.dir().resolve("cni-ipam"));
    }

    /**
     * The kubelet: cgroupfs on cgroup v1 (which it refuses unless told), no swap check, x509 client certificates
     * (the API server's) and webhook authorization, cluster DNS, and memory as the only eviction signal: the
     * eviction manager cannot stat this VM's disk, and disk-based eviction would evict every pod.
     */
    public static String kubelet(NodeLayout node, java.nio.file.Path clientCa) {
        return """
                apiVersion: kubelet.config.k8s.io/v1beta1
                kind: KubeletConfiguration
                cgroupDriver: cgroupfs
                failCgroupV1: false
                failSwapOn: false
                containerRuntimeEndpoint: unix://%s
                address: %s
                port: 10250
                readOnlyPort: 0
                healthzPort: 0
                authentication:
                  anonymous: {enabled: false}
                  webhook: {enabled: true}
                  x509: {clientCAFile: "%s"}
                authorization:
                  mode: Webhook
                clusterDNS: ["%s"]
                clusterDomain: cluster.local
                resolvConf: /etc/resolv.conf
                evictionHard: {"memory.available": "100Mi"}
                imageGCHighThresholdPercent: 100
                imageGCLowThresholdPercent: 99
                localStorageCapacityIsolation: false
                serializeImagePulls: false
                maxPods: 200
                podPidsLimit: -1
                """.formatted(node.containerdSocket(), node.address(), clientCa, NodeLayout.CLUSTER_DNS);
    }

    /** kube-proxy in iptables mode; it leaves the conntrack table size as the VM has it. */
    public static String kubeProxy(NodeLayout node, java.nio.file.Path kubeconfig) {
        return """
                apiVersion: kubeproxy.config.k8s.io/v1alpha1
                kind: KubeProxyConfiguration
                clientConnection: {kubeconfig: "%s"}
                hostnameOverride: %s
                mode: iptables
                clusterCIDR: %s
                healthzBindAddress: "127.0.0.1:10256"
                metricsBindAddress: "127.0.0.1:10249"
                conntrack: {maxPerCore: 0}
                """.formatted(kubeconfig, node.nodeName(), NodeLayout.CLUSTER_CIDR);
    }
}

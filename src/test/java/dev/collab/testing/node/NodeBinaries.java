package dev.collab.testing.node;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where {@code tools/node/build.sh} put the node's binaries: {@code $COLLAB_NODE_BIN}, else
 * {@code ~/.cache/collab/node/current/bin} (the last build).
 */
public final class NodeBinaries {
    static final List<String> NAMES = List.of(
            "kubelet",
            "kube-scheduler",
            "kube-proxy",
            "containerd",
            "containerd-shim-runc-v2",
            "ctr",
            "runc",
            "coredns",
            "kube-router");

    private NodeBinaries() {}

    public static Path location() {
        String explicit = System.getenv("COLLAB_NODE_BIN");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String root = System.getenv()
                .getOrDefault("COLLAB_NODE_CACHE", System.getProperty("user.home") + "/.cache/collab/node");
        return Path.of(root, "current", "bin");
    }

    public static Optional<Path> find() {
        Path dir = location();
        return NAMES.stream().allMatch(n -> Files.isExecutable(dir.resolve(n))) ? Optional.of(dir) : Optional.empty();
    }
}

package dev.collab.local.controlplane;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where {@code tools/control-plane/build.sh} put etcd, kube-apiserver, kube-controller-manager and kubectl:
 * {@code $COLLAB_CONTROL_PLANE_BIN}, else {@code ~/.cache/collab/control-plane/<K8S_VERSION>/bin} with the
 * version read from {@code tools/control-plane/versions.env}.
 */
public record ControlPlaneBinaries(Path dir) {
    public static final List<String> NAMES = List.of("etcd", "kube-apiserver", "kube-controller-manager", "kubectl");
    static final Path VERSIONS = Path.of("tools/control-plane/versions.env");

    /** The binaries when all four are there and executable. */
    public static Optional<ControlPlaneBinaries> find() {
        if (System.getenv("COLLAB_CONTROL_PLANE_BIN") == null && !Files.isRegularFile(VERSIONS)) {
            return Optional.empty(); // not started from the repository: no build to look for
        }
        ControlPlaneBinaries binaries = new ControlPlaneBinaries(location());
        return NAMES.stream().allMatch(n -> Files.isExecutable(binaries.dir.resolve(n)))
                ? Optional.of(binaries)
                : Optional.empty();
    }

    public static Path location() {
        String explicit = System.getenv("COLLAB_CONTROL_PLANE_BIN");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String root = System.getenv()
                .getOrDefault(
                        "COLLAB_CONTROL_PLANE_CACHE", System.getProperty("user.home") + "/.cache/collab/control-plane");
        return Path.of(root, kubernetesVersion(), "bin");
    }

    public static String kubernetesVersion() {
        try {
            return Files.readAllLines(VERSIONS).stream()
                    .filter(l -> l.startsWith("K8S_VERSION="))
                    .findFirst()
                    .map(l -> l.substring("K8S_VERSION=".length()).trim())
                    .orElseThrow(() -> new IllegalStateException(VERSIONS + " has no K8S_VERSION"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path etcd() {
        return dir.resolve("etcd");
    }

    public Path apiServer() {
        return dir.resolve("kube-apiserver");
    }

    public Path controllerManager() {
        return dir.resolve("kube-controller-manager");
    }

    public Path kubectl() {
        return dir.resolve("kubectl");
    }
}

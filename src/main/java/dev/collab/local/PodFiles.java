package dev.collab.local;

import dev.collab.api.CollabLabels;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Where a pod's volumes live on this machine and how container paths map onto them. The session PVC
 * {@code <name>-home} is {@code <session-dir>/home}; a Secret volume is materialised (only the listed items) into
 * {@code <session-dir>/secrets/<volume>}; an emptyDir lives in {@code <session-dir>/pods/<uid>/<volume>} and goes
 * with the pod.
 */
final class PodFiles {
    private final Pod pod;
    private final Path sessionDir;
    private final Path podDir;
    private final Path dataDir;
    private final LocalNodeSettings settings;
    private final Map<String, Path> volumeDirs = new LinkedHashMap<>();

    PodFiles(Pod pod, LocalNodeSettings settings) {
        this.pod = pod;
        this.settings = settings;
        String namespace = pod.getMetadata().getNamespace();
        String session = sessionName(pod);
        this.dataDir = settings.dataDir();
        this.sessionDir = settings.sessionDir(namespace, session);
        this.podDir = sessionDir.resolve("pods").resolve(pod.getMetadata().getUid());
        for (Volume v : volumes()) {
            volumeDirs.put(v.getName(), volumeDir(v, namespace, session));
        }
    }

    static String sessionName(Pod pod) {
        Map<String, String> labels = pod.getMetadata().getLabels();
        String session = labels == null ? null : labels.get(CollabLabels.SESSION);
        return session == null || session.isBlank() ? pod.getMetadata().getName() : session;
    }

    Path sessionDir() {
        return sessionDir;
    }

    Path podDir() {
        return podDir;
    }

    Path log() {
        return sessionDir.resolve("opencode.log");
    }

    private List<Volume> volumes() {
        return pod.getSpec().getVolumes() == null ? List.of() : pod.getSpec().getVolumes();
    }

    private Path volumeDir(Volume v, String namespace, String session) {
        if (v.getPersistentVolumeClaim() != null) {
            String claim = v.getPersistentVolumeClaim().getClaimName();
            String worker = LocalControllers.homeOwner(claim);
            // A HOME claim `<x>-home` is the folder of x, also when a session runs on a claimed warm worker x.
            return worker != null
                    ? settings.sessionDir(namespace, worker).resolve("home")
                    : dataDir.resolve("volumes").resolve(namespace).resolve(claim);
        }
        if (v.getSecret() != null) {
            return sessionDir.resolve("secrets").resolve(v.getName());
        }
        if (v.getConfigMap() != null) {
            return sessionDir.resolve("configmaps").resolve(v.getName());
        }
        return podDir.resolve("volumes").resolve(v.getName()); // emptyDir and anything else: per pod
    }

    /** Creates the volume folders and writes Secret/ConfigMap volumes; fails with a kubelet-like message. */
    void prepare(KubernetesClient client) throws PodSetupException {
        try {
            Files.createDirectories(sessionDir);
            ApiStateStore.restrict(sessionDir);
            Files.createDirectories(podDir);
            for (Volume v : volumes()) {
                Path dir = volumeDirs.get(v.getName());
                if (v.getSecret() != null) {
                    Secret secret = client.secrets()
                            .inNamespace(pod.getMetadata().getNamespace())
                            .withName(v.getSecret().getSecretName())
                            .get();
                    if (secret == null && !Boolean.TRUE.equals(v.getSecret().getOptional())) {
                        throw new PodSetupException(
                                "ContainerCreating",
                                "MountVolume.SetUp failed for volume \"" + v.getName() + "\": secret \""
                                        + v.getSecret().getSecretName() + "\" not found");
                    }
                    Map<String, byte[]> data = new LinkedHashMap<>();
                    if (secret != null && secret.getData() != null) {
                        secret.getData()
                                .forEach((k, val) ->
                                        data.put(k, Base64.getDecoder().decode(val)));
                    }
                    materialise(
                            v.getName(),
                            dir,
                            data,
                            v.getSecret().getItems(),
                            v.getSecret().getDefaultMode());
                } else if (v.getConfigMap() != null) {
                    ConfigMap map = client.configMaps()
                            .inNamespace(pod.getMetadata().getNamespace())
                            .withName(v.getConfigMap().getName())
                            .get();
                    if (map == null && !Boolean.TRUE.equals(v.getConfigMap().getOptional())) {
                        throw new PodSetupException(
                                "ContainerCreating",
                                "MountVolume.SetUp failed for volume \"" + v.getName() + "\": configmap \""
                                        + v.getConfigMap().getName() + "\" not found");
                    }
                    Map<String, byte[]> data = new LinkedHashMap<>();
                    if (map != null && map.getData() != null) {
                        map.getData().forEach((k, val) -> data.put(k, val.getBytes(StandardCharsets.UTF_8)));
                    }
                    materialise(
                            v.getName(),
                            dir,
                            data,
                            v.getConfigMap().getItems(),
                            v.getConfigMap().getDefaultMode());
                } else {
                    Files.createDirectories(dir);
                    ApiStateStore.restrict(dir);
                }
            }
        } catch (IOException e) {
            throw new PodSetupException("ContainerCreating", "cannot prepare the volumes: " + e.getMessage());
        }
    }

    private static void materialise(
            String volume, Path dir, Map<String, byte[]> data, List<KeyToPath> items, Integer defaultMode)
            throws IOException, PodSetupException {
        deleteTree(dir);
        Files.createDirectories(dir);
        ApiStateStore.restrict(dir);
        Map<String, KeyToPath> selected = new LinkedHashMap<>();
        if (items == null || items.isEmpty()) {
            data.keySet().forEach(k -> selected.put(k, new KeyToPath(k, null, k)));
        } else {
            items.forEach(i -> selected.put(i.getKey(), i));
        }
        for (KeyToPath item : selected.values()) {
            byte[] content = data.get(item.getKey());
            if (content == null) {
                throw new PodSetupException(
                        "ContainerCreating",
                        "MountVolume.SetUp failed for volume \"" + volume + "\": key \"" + item.getKey()
                                + "\" not found");
            }
            Path target = dir.resolve(item.getPath()).normalize();
            if (!target.startsWith(dir)) {
                throw new PodSetupException("ContainerCreating", "item path escapes the volume: " + item.getPath());
            }
            Files.createDirectories(target.getParent());
            Files.write(target, content);
            int mode = item.getMode() != null ? item.getMode() : defaultMode != null ? defaultMode : 0644;
            ownerMode(target, mode);
        }
    }

    /** Only the owner bits of a Kubernetes file mode, always readable by the owner (group/other stay closed). */
    private static void ownerMode(Path file, int mode) {
        Set<PosixFilePermission> perms = EnumSet.of(PosixFilePermission.OWNER_READ);
        if ((mode & 0200) != 0) {
            perms.add(PosixFilePermission.OWNER_WRITE);
        }
        if ((mode & 0100) != 0) {
            perms.add(PosixFilePermission.OWNER_EXECUTE);
        }
        try {
            Files.setPosixFilePermissions(file, perms);
        } catch (UnsupportedOperationException | IOException e) {
            // not POSIX: leave as is
        }
    }

    /** The local path for a path inside the container, or the path itself when no mount covers it. */
    String map(Container container, String containerPath) {
        if (containerPath == null || !containerPath.startsWith("/")) {
            return containerPath;
        }
        VolumeMount best = null;
        for (VolumeMount m : mounts(container)) {
            String mp = stripSlash(m.getMountPath());
            if ((containerPath.equals(mp) || containerPath.startsWith(mp + "/"))
                    && (best == null
                            || mp.length() > stripSlash(best.getMountPath()).length())) {
                best = m;
            }
        }
        if (best == null || !volumeDirs.containsKey(best.getName())) {
            return containerPath;
        }
        Path base = volumeDirs.get(best.getName());
        if (best.getSubPath() != null && !best.getSubPath().isBlank()) {
            base = base.resolve(best.getSubPath());
        }
        String rest = containerPath.substring(stripSlash(best.getMountPath()).length());
        return rest.isEmpty()
                ? base.toString()
                : base.resolve(rest.substring(1)).toString();
    }

    /**
     * What the container sees in its sandbox: the pod's scratch folder, and each mounted volume (read-only when the
     * mount says so or it is a Secret or ConfigMap).
     */
    List<Sandbox.Mount> sandboxMounts(Container container) {
        List<Sandbox.Mount> out = new ArrayList<>(List.of(new Sandbox.Mount(podDir, true)));
        for (VolumeMount m : mounts(container)) {
            Path base = volumeDirs.get(m.getName());
            if (base == null) {
                continue;
            }
            if (m.getSubPath() != null && !m.getSubPath().isBlank()) {
                base = base.resolve(m.getSubPath());
            }
            Volume v = volumes().stream()
                    .filter(x -> x.getName().equals(m.getName()))
                    .findFirst()
                    .orElseThrow();
            boolean writable =
                    !Boolean.TRUE.equals(m.getReadOnly()) && v.getSecret() == null && v.getConfigMap() == null;
            out.add(new Sandbox.Mount(base, writable));
        }
        return out;
    }

    /** The folder standing for the container's /tmp: its /tmp mount, else a per-pod folder. */
    Path tmpDir(Container container) throws IOException {
        String mapped = map(container, "/tmp");
        Path tmp = "/tmp".equals(mapped) ? podDir.resolve("tmp") : Path.of(mapped);
        Files.createDirectories(tmp);
        return tmp;
    }

    private static List<VolumeMount> mounts(Container c) {
        return c.getVolumeMounts() == null ? List.of() : c.getVolumeMounts();
    }

    private static String stripSlash(String p) {
        return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    /**
     * Removes the per-pod folder (emptyDirs) and the materialised Secret and ConfigMap volumes: credentials stay on
     * disk only while a pod runs (and in HOME, the PVC). HOME and the log stay.
     */
    void cleanUp() {
        deleteTree(podDir);
        for (Volume v : volumes()) {
            if (v.getSecret() != null || v.getConfigMap() != null) {
                deleteTree(volumeDirs.get(v.getName()));
            }
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            List<Path> all =
                    new ArrayList<>(walk.sorted(Comparator.reverseOrder()).toList());
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // best effort
        }
    }
}

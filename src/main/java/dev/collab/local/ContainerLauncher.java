package dev.collab.local;

import dev.collab.api.CollabLabels;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jboss.logging.Logger;

/**
 * The container runtime of one pod: starts a container's command as a local process with the pod's environment and
 * mapped paths (opencode on a free loopback port, published as a pod annotation), and stops processes like a
 * kubelet (SIGTERM, SIGKILL after the grace period). Output goes to {@code <session-dir>/opencode.log} only.
 */
final class ContainerLauncher {
    private static final Logger LOG = Logger.getLogger(ContainerLauncher.class);

    private final KubernetesClient client;
    private final LocalNodeSettings settings;
    private final Pod pod;
    private final PodFiles files;
    private final BooleanSupplier stopping;
    private final String key;
    private volatile Process current;
    private volatile Process lastOpencode;
    private volatile int port;

    ContainerLauncher(
            KubernetesClient client, LocalNodeSettings settings, Pod pod, PodFiles files, BooleanSupplier stopping) {
        this.client = client;
        this.settings = settings;
        this.pod = pod;
        this.files = files;
        this.stopping = stopping;
        this.key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    }

    /** The local port of the opencode container (0 before it is chosen). */
    int port() {
        return port;
    }

    /** The process started last, while it may still run (null once its exit was handled). */
    Process current() {
        return current;
    }

    void exited() {
        current = null;
    }

    /** Starts the container's command as a local process with the pod's env and the mapped paths. */
    Process launch(Container c, boolean main) throws PodSetupException, InterruptedException {
        Map<String, String> podEnv = ContainerEnv.resolve(client, pod, c);
        List<String> words = commandLine(c);
        if (list(c.getCommand()).isEmpty()) {
            if (c.getImage() != null && c.getImage().contains(LocalNodeSettings.OPENCODE)) {
                words.add(0, LocalNodeSettings.OPENCODE); // the opencode image's entrypoint
            } else {
                throw new PodSetupException(
                        "RunContainerError",
                        "the local node cannot read the entrypoint of image " + c.getImage() + ": set command");
            }
        }
        for (int i = 0; i < words.size(); i++) {
            words.set(i, ContainerEnv.expand(words.get(i), podEnv));
        }
        boolean opencode = isOpencode(words.get(0));
        if (opencode && c.getImage() != null && !c.getImage().contains(LocalNodeSettings.OPENCODE)) {
            // the local node maps opencode images to the local opencode; any other image has no local counterpart
            throw new PodSetupException(
                    "ErrImagePull",
                    "the local node has no mapping for image \"" + c.getImage()
                            + "\": it runs opencode images only, as " + settings.opencodeCommand());
        }
        if (opencode) {
            if (port == 0 || !isFree(port)) {
                port = freePort();
                annotatePort();
            }
            words = opencodeArgs(words, settings.opencodeCommand(), port);
        } else {
            for (int i = 1; i < words.size(); i++) {
                String w = words.get(i);
                if (w.startsWith("/") && !w.contains(" ")) {
                    words.set(i, files.map(c, w)); // a whole-word container path (not inside a script)
                }
            }
        }
        ProcessBuilder pb = new ProcessBuilder(words);
        Map<String, String> env = pb.environment();
        env.clear(); // a container does not inherit the node's environment (no XDG_*, no ANTHROPIC_API_KEY of the user)
        for (String inherited : LocalNodeSettings.NODE_ENV) {
            String v = System.getenv(inherited);
            if (v != null) {
                env.put(inherited, v);
            }
        }
        podEnv.forEach((k, v) -> env.put(k, files.map(c, v)));
        try {
            if (!podEnv.containsKey("TMPDIR")) {
                env.put("TMPDIR", files.tmpDir(c).toString());
            }
            String workingDir = c.getWorkingDir() == null ? null : files.map(c, c.getWorkingDir());
            if (workingDir != null) {
                Files.createDirectories(Path.of(workingDir));
                pb.directory(new File(workingDir));
            } else {
                pb.directory(files.sessionDir().toFile());
            }
            if (settings.sandboxed()) {
                pb.command(
                        Sandbox.forContainer(settings, files.sandboxMounts(c), words, env, workingDir, files.podDir()));
            }
            Path log = files.log();
            Files.writeString(
                    log,
                    "==== " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + " collab-local: starting "
                            + (main ? "container " : "init container ") + c.getName() + " of pod " + key + " ("
                            + pod.getMetadata().getUid() + ")" + (opencode ? " on 127.0.0.1:" + port : "") + "\n",
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
            ApiStateStore.restrict(log);
            pb.redirectErrorStream(true);
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            if (stopping.getAsBoolean()) {
                throw new InterruptedException("pod is stopping");
            }
            Process p = pb.start();
            current = p;
            if (opencode) {
                lastOpencode = p;
                Files.writeString(
                        files.sessionDir().resolve(LocalNodeSettings.PID_FILE),
                        Long.toString(p.pid()),
                        StandardCharsets.UTF_8);
            }
            if (stopping.getAsBoolean()) { // the pod's stop ran between the check and the assignment
                terminate(p, grace());
            }
            return p;
        } catch (IOException e) {
            throw new PodSetupException("RunContainerError", "cannot start " + words.get(0) + ": " + e.getMessage());
        }
    }

    Duration grace() {
        Long seconds = pod.getSpec().getTerminationGracePeriodSeconds();
        return Duration.ofSeconds(seconds == null ? 30 : Math.max(0, seconds));
    }

    /** The pid file names a live worker only (a stale one could name a reused pid after a crash of this JVM). */
    void forgetPid() {
        Path pidFile = files.sessionDir().resolve(LocalNodeSettings.PID_FILE);
        try {
            Process last = lastOpencode;
            if (last != null
                    && Files.isRegularFile(pidFile)
                    && Long.toString(last.pid())
                            .equals(Files.readString(pidFile, StandardCharsets.UTF_8)
                                    .trim())) {
                Files.delete(pidFile);
            }
        } catch (IOException e) {
            LOG.debugf("cannot remove %s: %s", pidFile, e.getMessage());
        }
    }

    static List<String> commandLine(Container c) {
        List<String> words = new ArrayList<>(list(c.getCommand()));
        words.addAll(list(c.getArgs()));
        return words;
    }

    private static boolean isOpencode(String word) {
        return LocalNodeSettings.OPENCODE.equals(word) || word.endsWith("/" + LocalNodeSettings.OPENCODE);
    }

    /** opencode's words with the configured binary, loopback hostname and this pod's local port. */
    static List<String> opencodeArgs(List<String> words, String command, int port) {
        List<String> out = new ArrayList<>();
        out.add(command);
        boolean host = false;
        boolean portSet = false;
        for (int i = 1; i < words.size(); i++) {
            String w = words.get(i);
            if (w.equals("--hostname") || w.equals("--port")) {
                out.add(w);
                out.add(w.equals("--hostname") ? LocalNodeSettings.POD_IP : Integer.toString(port));
                host |= w.equals("--hostname");
                portSet |= w.equals("--port");
                i++;
            } else if (w.startsWith("--hostname=")) {
                out.add("--hostname=" + LocalNodeSettings.POD_IP);
                host = true;
            } else if (w.startsWith("--port=")) {
                out.add("--port=" + port);
                portSet = true;
            } else {
                out.add(w);
            }
        }
        if (out.contains("serve") || out.contains("web")) {
            if (!host) {
                out.add("--hostname");
                out.add(LocalNodeSettings.POD_IP);
            }
            if (!portSet) {
                out.add("--port");
                out.add(Integer.toString(port));
            }
        }
        return out;
    }

    private void annotatePort() {
        String patch = "[{\"op\":\"add\",\"path\":\"/metadata/annotations/"
                + CollabLabels.ENDPOINT_PORT.replace("/", "~1") + "\",\"value\":\"" + port + "\"}]";
        try {
            client.pods()
                    .inNamespace(pod.getMetadata().getNamespace())
                    .withName(pod.getMetadata().getName())
                    .patch(PatchContext.of(PatchType.JSON), patch);
        } catch (KubernetesClientException e) {
            LOG.debugf("local node: cannot annotate pod %s: %s", key, e.getMessage());
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free loopback port", e);
        }
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** SIGTERM to the process and its descendants, SIGKILL to what is left after the grace period. */
    static void terminate(Process p, Duration grace) {
        ProcessHandle handle = p.toHandle();
        List<ProcessHandle> descendants = handle.descendants().toList();
        handle.destroy();
        descendants.forEach(ProcessHandle::destroy);
        try {
            if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                handle.destroyForcibly();
            }
        } catch (InterruptedException e) {
            handle.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    static <T> List<T> list(List<T> l) {
        return l == null ? List.of() : l;
    }
}

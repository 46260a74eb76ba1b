package dev.collab.local;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jboss.logging.Logger;

/**
 * The kubelet stand-in for one pod: prepares its volumes, runs its init containers then its container as local
 * processes (restartPolicy Always, CrashLoopBackOff between crashes) through the {@link ContainerLauncher}, probes
 * readiness with the {@link ReadinessProber} and reports through the {@link PodStatusManager}.
 */
final class PodRunner {
    private static final Logger LOG = Logger.getLogger(PodRunner.class);
    /** Same as the kubelet: a container that ran this long without crashing resets its backoff. */
    private static final Duration BACKOFF_RESET = Duration.ofMinutes(10);

    private final KubernetesClient client;
    private final LocalNodeSettings settings;
    private final Pod pod;
    private final PodFiles files;
    private final CompletableFuture<Void> previousStopped;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final String key;
    private final PodStatusManager status;
    private final ContainerLauncher launcher;

    private volatile boolean stopping;
    private Thread thread;

    PodRunner(KubernetesClient client, LocalNodeSettings settings, Pod pod, CompletableFuture<Void> previousStopped) {
        this.client = client;
        this.settings = settings;
        this.pod = pod;
        this.files = new PodFiles(pod, settings);
        this.previousStopped = previousStopped;
        this.key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
        this.status = new PodStatusManager(client, pod);
        this.launcher = new ContainerLauncher(client, settings, pod, files, () -> stopping);
    }

    String uid() {
        return pod.getMetadata().getUid();
    }

    CompletableFuture<Void> stopped() {
        return stopped;
    }

    /** The local port of the opencode container (0 before it is chosen). */
    int port() {
        return launcher.port();
    }

    void start() {
        thread = new Thread(this::run, "collab-local-pod-" + pod.getMetadata().getName());
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Stops the pod like a kubelet does on deletion: SIGTERM, then SIGKILL after the grace period.
     * {@code reportStatus=false} on node shutdown (the API may be going away as well).
     */
    CompletableFuture<Void> stop(boolean reportStatus) {
        if (!reportStatus) {
            status.stopReporting();
        }
        stopping = true;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
        Process p = launcher.current();
        if (p != null) {
            ContainerLauncher.terminate(p, launcher.grace());
        }
        if (t == null) {
            stopped.complete(null);
        }
        return stopped;
    }

    private void run() {
        try {
            previousStopped.join(); // the previous pod of this name (same HOME) must be gone first: RWO volume
            if (stopping) {
                return;
            }
            files.log().getParent().toFile().mkdirs();
            status.report(); // Pending, ContainerCreating
            prepareVolumes();
            if (!stopping) {
                runInitContainers();
            }
            if (!stopping) {
                runMainContainer();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.errorf(e, "local node: pod %s failed", key);
        } finally {
            Process p = launcher.current();
            if (p != null && p.isAlive()) {
                ContainerLauncher.terminate(p, launcher.grace());
            }
            files.cleanUp();
            launcher.forgetPid();
            stopped.complete(null);
        }
    }

    private void prepareVolumes() throws InterruptedException {
        while (!stopping) {
            try {
                files.prepare(client);
                return;
            } catch (PodSetupException e) {
                status.allWaiting(e.reason(), e.getMessage());
                sleep(settings.retryDelay());
            }
        }
    }

    private void runInitContainers() throws InterruptedException {
        List<Container> inits = ContainerLauncher.list(pod.getSpec().getInitContainers());
        int crashes = 0;
        outer:
        while (!stopping) {
            for (Container c : inits) {
                if (status.initSucceeded(c)) {
                    continue;
                }
                Process p;
                try {
                    p = launcher.launch(c, false);
                } catch (PodSetupException e) {
                    status.waiting(true, c, e.reason(), e.getMessage());
                    sleep(settings.retryDelay());
                    continue outer;
                }
                String started = PodStatusManager.now();
                status.running(true, c, started, p.pid());
                int exit = p.waitFor();
                launcher.exited();
                ContainerState terminated = PodStatusManager.terminatedState(exit, started, p.pid());
                if (exit == 0) {
                    status.completed(c, terminated, p.pid());
                    continue;
                }
                if (stopping) {
                    return;
                }
                crashes++;
                Duration delay = settings.backoff(crashes);
                status.crashed(true, c, terminated, backoffMessage(delay, c));
                sleep(delay);
                continue outer;
            }
            status.initialized();
            return;
        }
    }

    private void runMainContainer() throws InterruptedException {
        List<Container> containers = ContainerLauncher.list(pod.getSpec().getContainers());
        if (containers.isEmpty()) {
            return;
        }
        Container main = containers.get(0);
        for (Container extra : containers.subList(1, containers.size())) {
            status.waiting(false, extra, "LocalNodeUnsupported", "the local node runs only the first container of a pod");
        }
        ReadinessProber prober = new ReadinessProber(main, launcher::port);
        int crashes = 0;
        while (!stopping) {
            Process p;
            try {
                p = launcher.launch(main, true);
            } catch (PodSetupException e) {
                status.waiting(false, main, e.reason(), e.getMessage());
                sleep(settings.retryDelay());
                continue;
            }
            Instant startedAt = Instant.now();
            String started = PodStatusManager.now();
            status.running(false, main, started, p.pid());
            prober.probeUntilExit(p, ready -> status.ready(main, ready));
            int exit = p.exitValue();
            launcher.exited();
            if (stopping) {
                return;
            }
            if (Duration.between(startedAt, Instant.now()).compareTo(BACKOFF_RESET) > 0) {
                crashes = 0;
            }
            crashes++;
            Duration delay = settings.backoff(crashes);
            status.crashed(false, main, PodStatusManager.terminatedState(exit, started, p.pid()), backoffMessage(delay, main));
            LOG.infof("local node: %s container %s exited with %d, restarting in %d ms", key, main.getName(), exit,
                    delay.toMillis());
            sleep(delay);
        }
    }

    private String backoffMessage(Duration delay, Container c) {
        return "back-off " + delay.toSeconds() + "s restarting failed container=" + c.getName() + " pod="
                + pod.getMetadata().getName() + "_" + pod.getMetadata().getNamespace() + "(" + uid() + ")";
    }

    private void sleep(Duration d) throws InterruptedException {
        if (!stopping) {
            Thread.sleep(d.toMillis());
        }
    }
}

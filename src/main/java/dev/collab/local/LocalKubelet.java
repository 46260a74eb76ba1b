package dev.collab.local;

import dev.collab.api.CollabLabels;
import dev.collab.api.InformerHandlers;
import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * The local node: a kubelet stand-in that runs every worker pod ({@code collab.dev/role=worker}) of the API as
 * local processes, one {@link PodRunner} per pod uid. A pod replaced under the same name (same HOME) starts only
 * after the previous one's process is gone, as the ReadWriteOnce volume would enforce on a cluster.
 */
public final class LocalKubelet implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LocalKubelet.class);

    private final KubernetesClient client;
    private final LocalNodeSettings settings;
    private final Map<String, PodRunner> runnersByUid = new ConcurrentHashMap<>();
    /** Completion of the last runner per namespace/name. */
    private final Map<String, CompletableFuture<Void>> lastByName = new ConcurrentHashMap<>();
    /** Stops wait up to a grace period each: their own threads, not the common pool (1 thread on 2 cores). */
    private final ExecutorService stopper = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "collab-local-pod-stop");
        t.setDaemon(true);
        return t;
    });

    private SharedIndexInformer<Pod> informer;
    private volatile boolean closed;

    public LocalKubelet(KubernetesClient client, LocalNodeSettings settings) {
        this.client = client;
        this.settings = settings;
    }

    public synchronized void start() {
        killLeftovers();
        informer = client.pods()
                .inAnyNamespace()
                .withLabel(CollabLabels.ROLE, CollabLabels.ROLE_WORKER)
                .inform(InformerHandlers.of(this::sync, this::remove), 0);
        LOG.infof("local node started: worker pods run as local processes, data under %s", settings.dataDir());
    }

    private void sync(Pod pod) {
        if (closed) {
            return;
        }
        String uid = pod.getMetadata().getUid();
        if (settings.bindsPods()) {
            String node = pod.getSpec().getNodeName();
            if (node == null || node.isEmpty()) {
                bind(pod); // no scheduler: the update that sets spec.nodeName starts it
                return;
            }
            if (!LocalNodeSettings.NODE_NAME.equals(node)) {
                return;
            }
        }
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            remove(pod);
            return;
        }
        runnersByUid.computeIfAbsent(uid, u -> {
            String name =
                    pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
            CompletableFuture<Void> previous = lastByName.getOrDefault(name, CompletableFuture.completedFuture(null));
            PodRunner runner = new PodRunner(client, settings, pod, previous);
            lastByName.put(name, runner.stopped());
            runner.stopped().whenComplete((v, e) -> lastByName.remove(name, runner.stopped()));
            LOG.infof("local node: starting pod %s", name);
            runner.start();
            return runner;
        });
    }

    private void remove(Pod pod) {
        PodRunner runner = runnersByUid.remove(pod.getMetadata().getUid());
        if (runner != null) {
            LOG.infof(
                    "local node: stopping pod %s/%s",
                    pod.getMetadata().getNamespace(), pod.getMetadata().getName());
            // terminate() waits up to the grace period: never on the informer's thread
            CompletableFuture.runAsync(() -> runner.stop(!closed), stopper)
                    .thenCompose(v -> runner.stopped())
                    .thenRunAsync(() -> finishDeletion(pod), stopper) // not on the interrupted pod thread
                    .exceptionally(e -> {
                        if (!closed) { // on node shutdown the stopper is gone: the pod stays for the next start
                            LOG.warnf(
                                    e,
                                    "local node: pod %s not finished",
                                    pod.getMetadata().getName());
                        }
                        return null;
                    });
        } else if (pod.getMetadata().getDeletionTimestamp() != null) {
            finishDeletion(pod);
        }
    }

    /** Takes a pod to itself, as the scheduler would (the binding subresource sets spec.nodeName). */
    private void bind(Pod pod) {
        try {
            client.bindings()
                    .inNamespace(pod.getMetadata().getNamespace())
                    .resource(new BindingBuilder()
                            .withNewMetadata()
                            .withName(pod.getMetadata().getName())
                            .withUid(pod.getMetadata().getUid())
                            .endMetadata()
                            .withNewTarget()
                            .withApiVersion("v1")
                            .withKind("Node")
                            .withName(LocalNodeSettings.NODE_NAME)
                            .endTarget()
                            .build())
                    .create();
            LOG.debugf(
                    "local node: bound pod %s/%s",
                    pod.getMetadata().getNamespace(), pod.getMetadata().getName());
        } catch (KubernetesClientException e) {
            LOG.debugf("local node: pod %s not bound: %s", pod.getMetadata().getName(), e.getMessage());
        }
    }

    /**
     * On a control plane a deleted pod stays (Terminating) until its kubelet confirms its containers are gone with a
     * deletion of grace period 0, as here; the embedded API deletes at once.
     */
    private void finishDeletion(Pod pod) {
        if (!settings.bindsPods() || closed) {
            return;
        }
        try {
            var named = client.pods()
                    .inNamespace(pod.getMetadata().getNamespace())
                    .withName(pod.getMetadata().getName());
            Pod current = named.get();
            if (current != null
                    && pod.getMetadata().getUid().equals(current.getMetadata().getUid())) {
                named.withGracePeriod(0).delete(); // not a replacement of the same name
            }
        } catch (KubernetesClientException e) {
            LOG.debugf("local node: pod %s not deleted: %s", pod.getMetadata().getName(), e.getMessage());
        }
    }

    /** The runner of a pod uid, for tests. */
    PodRunner runner(String uid) {
        return runnersByUid.get(uid);
    }

    /** Stops every process (SIGTERM, SIGKILL after each pod's grace period) and waits for them. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (informer != null) {
                informer.close();
            }
        }
        List<CompletableFuture<Void>> all = new ArrayList<>();
        List<PodRunner> runners = new ArrayList<>(runnersByUid.values());
        runnersByUid.clear();
        for (PodRunner r : runners) {
            all.add(CompletableFuture.runAsync(() -> r.stop(false), stopper).thenCompose(v -> r.stopped()));
        }
        try {
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                    .get(Duration.ofSeconds(40).toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            LOG.warnf("local node: not every worker stopped in time: %s", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopper.shutdown();
        LOG.infof("local node stopped (%d workers)", runners.size());
    }

    /**
     * Workers of a previous run that was killed (no shutdown hook) still hold their HOME: a pid file per session
     * names them; they are stopped if they are still opencode processes.
     */
    private void killLeftovers() {
        Path sessions = settings.dataDir().resolve("sessions");
        if (!Files.isDirectory(sessions)) {
            return;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(sessions)) {
            for (Path dir : dirs) {
                Path pidFile = dir.resolve(LocalNodeSettings.PID_FILE);
                if (!Files.isRegularFile(pidFile)) {
                    continue;
                }
                try {
                    long pid = Long.parseLong(
                            Files.readString(pidFile, StandardCharsets.UTF_8).trim());
                    ProcessHandle.of(pid)
                            .filter(ProcessHandle::isAlive)
                            .filter(h -> h.info()
                                    .commandLine()
                                    .map(c -> c.contains(LocalNodeSettings.OPENCODE))
                                    .orElse(false))
                            .ifPresent(h -> {
                                LOG.infof("local node: stopping leftover worker %d of a previous run", pid);
                                h.destroy();
                                h.onExit()
                                        .completeOnTimeout(h, 15, TimeUnit.SECONDS)
                                        .join();
                                if (h.isAlive()) {
                                    h.destroyForcibly();
                                }
                            });
                    Files.deleteIfExists(pidFile);
                } catch (IOException | NumberFormatException e) {
                    LOG.debugf("ignoring %s: %s", pidFile, e.getMessage());
                }
            }
        } catch (IOException e) {
            LOG.debugf("cannot scan %s: %s", sessions, e.getMessage());
        }
    }
}

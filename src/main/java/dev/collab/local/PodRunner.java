package dev.collab.local;

import dev.collab.api.CollabLabels;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIPBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The kubelet stand-in for one pod: prepares its volumes, runs its init containers then its container as local
 * processes (restartPolicy Always, CrashLoopBackOff between crashes), probes readiness and writes the pod status.
 * Process output goes to {@code <session-dir>/opencode.log} only: it may contain secrets.
 */
final class PodRunner {
    private static final Logger LOG = Logger.getLogger(PodRunner.class);
    /** The container command word that stands for the opencode binary. */
    static final String OPENCODE = "opencode";
    /** In the session folder: pid of the running opencode, so a killed run's leftovers can be found. */
    static final String PID_FILE = "opencode.pid";
    private static final Duration PROBE_UNTIL_READY = Duration.ofMillis(500);
    /**
     * What a worker inherits from this machine: the command path, locale and the machine's network settings (proxy,
     * extra CA certificates: without them a TLS-intercepting network breaks every provider call). Nothing else: no
     * XDG_* (would move opencode's state out of the session HOME) and no provider keys of the user's shell.
     */
    static final List<String> NODE_ENV = List.of("PATH", "LANG", "LC_ALL", "TZ", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
            "http_proxy", "https_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS");
    /** Same as the kubelet: a container that ran this long without crashing resets its backoff. */
    private static final Duration BACKOFF_RESET = Duration.ofMinutes(10);

    private final KubernetesClient client;
    private final LocalNodeSettings settings;
    private final Pod pod;
    private final PodFiles files;
    private final CompletableFuture<Void> previousStopped;
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final Object lock = new Object();
    private final String key;
    private final Instant startTime = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private final Map<String, String> conditionTimes = new HashMap<>();
    private final Map<String, String> conditionValues = new HashMap<>();

    private volatile boolean stopping;
    private volatile boolean report = true;
    private volatile Process process;
    private volatile Process lastOpencode;
    private volatile int port;
    private Thread thread;

    // status model, guarded by lock
    private final Map<String, ContainerStatus> initStatuses = new LinkedHashMap<>();
    private final Map<String, ContainerStatus> mainStatuses = new LinkedHashMap<>();
    private boolean initialized;
    private boolean everStarted;
    private String lastReportedJson;

    PodRunner(KubernetesClient client, LocalNodeSettings settings, Pod pod, CompletableFuture<Void> previousStopped) {
        this.client = client;
        this.settings = settings;
        this.pod = pod;
        this.files = new PodFiles(pod, settings);
        this.previousStopped = previousStopped;
        this.key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
        for (Container c : list(pod.getSpec().getInitContainers())) {
            initStatuses.put(c.getName(), waiting(c, 0, "PodInitializing", null, null));
        }
        for (Container c : list(pod.getSpec().getContainers())) {
            mainStatuses.put(c.getName(), waiting(c, 0, list(pod.getSpec().getInitContainers()).isEmpty()
                    ? "ContainerCreating" : "PodInitializing", null, null));
        }
    }

    String uid() {
        return pod.getMetadata().getUid();
    }

    CompletableFuture<Void> stopped() {
        return stopped;
    }

    /** The local port of the opencode container (0 before it is chosen). */
    int port() {
        return port;
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
        this.report = reportStatus;
        stopping = true;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
        Process p = process;
        if (p != null) {
            terminate(p, grace());
        }
        if (t == null) {
            stopped.complete(null);
        }
        return stopped;
    }

    private Duration grace() {
        Long seconds = pod.getSpec().getTerminationGracePeriodSeconds();
        return Duration.ofSeconds(seconds == null ? 30 : Math.max(0, seconds));
    }

    private void run() {
        try {
            previousStopped.join(); // the previous pod of this name (same HOME) must be gone first: RWO volume
            if (stopping) {
                return;
            }
            files.log().getParent().toFile().mkdirs();
            report(); // Pending, ContainerCreating
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
            Process p = process;
            if (p != null && p.isAlive()) {
                terminate(p, grace());
            }
            files.cleanUp();
            forgetPid();
            stopped.complete(null);
        }
    }

    private void prepareVolumes() throws InterruptedException {
        while (!stopping) {
            try {
                files.prepare(client);
                return;
            } catch (PodSetupException e) {
                setAllWaiting(e.reason(), e.getMessage());
                sleep(settings.retryDelay());
            }
        }
    }

    private void runInitContainers() throws InterruptedException {
        List<Container> inits = list(pod.getSpec().getInitContainers());
        int crashes = 0;
        outer:
        while (!stopping) {
            for (Container c : inits) {
                ContainerStatus before;
                synchronized (lock) {
                    before = initStatuses.get(c.getName());
                }
                if (before.getState().getTerminated() != null && before.getState().getTerminated().getExitCode() == 0) {
                    continue;
                }
                Process p;
                try {
                    p = launch(c, false);
                } catch (PodSetupException e) {
                    setWaiting(initStatuses, c, e.reason(), e.getMessage());
                    sleep(settings.retryDelay());
                    continue outer;
                }
                String started = now();
                setState(initStatuses, c, new ContainerStateBuilder().withNewRunning().withStartedAt(started).endRunning().build(),
                        false, p.pid());
                int exit = p.waitFor();
                process = null;
                ContainerState terminated = terminatedState(exit, started, p.pid());
                if (exit == 0) {
                    setState(initStatuses, c, terminated, true, p.pid());
                    continue;
                }
                if (stopping) {
                    return;
                }
                crashes++;
                Duration delay = settings.backoff(crashes);
                synchronized (lock) {
                    ContainerStatus s = initStatuses.get(c.getName());
                    s.setRestartCount(s.getRestartCount() + 1);
                    s.setLastState(terminated);
                    s.setState(new ContainerStateBuilder().withNewWaiting().withReason("CrashLoopBackOff")
                            .withMessage(backoffMessage(delay, c)).endWaiting().build());
                    s.setReady(false);
                }
                report();
                sleep(delay);
                continue outer;
            }
            synchronized (lock) {
                initialized = true;
            }
            return;
        }
    }

    private void runMainContainer() throws InterruptedException {
        List<Container> containers = list(pod.getSpec().getContainers());
        if (containers.isEmpty()) {
            return;
        }
        Container main = containers.get(0);
        for (Container extra : containers.subList(1, containers.size())) {
            setWaiting(mainStatuses, extra, "LocalNodeUnsupported", "the local node runs only the first container of a pod");
        }
        int crashes = 0;
        while (!stopping) {
            Process p;
            try {
                p = launch(main, true);
            } catch (PodSetupException e) {
                setWaiting(mainStatuses, main, e.reason(), e.getMessage());
                sleep(settings.retryDelay());
                continue;
            }
            Instant startedAt = Instant.now();
            String started = now();
            synchronized (lock) {
                everStarted = true;
            }
            setState(mainStatuses, main, new ContainerStateBuilder().withNewRunning().withStartedAt(started).endRunning().build(),
                    false, p.pid());
            probeUntilExit(main, p);
            int exit = p.exitValue();
            process = null;
            if (stopping) {
                return;
            }
            if (Duration.between(startedAt, Instant.now()).compareTo(BACKOFF_RESET) > 0) {
                crashes = 0;
            }
            crashes++;
            Duration delay = settings.backoff(crashes);
            synchronized (lock) {
                ContainerStatus s = mainStatuses.get(main.getName());
                s.setRestartCount(s.getRestartCount() + 1);
                s.setLastState(terminatedState(exit, started, p.pid()));
                s.setState(new ContainerStateBuilder().withNewWaiting().withReason("CrashLoopBackOff")
                        .withMessage(backoffMessage(delay, main)).endWaiting().build());
                s.setReady(false);
                s.setStarted(false);
                s.setContainerID(null);
            }
            LOG.infof("local node: %s container %s exited with %d, restarting in %d ms", key, main.getName(), exit,
                    delay.toMillis());
            report();
            sleep(delay);
        }
    }

    private String backoffMessage(Duration delay, Container c) {
        return "back-off " + delay.toSeconds() + "s restarting failed container=" + c.getName() + " pod="
                + pod.getMetadata().getName() + "_" + pod.getMetadata().getNamespace() + "(" + uid() + ")";
    }

    /** Probes readiness while the process lives (every 500 ms until ready, then every periodSeconds). */
    private void probeUntilExit(Container c, Process p) throws InterruptedException {
        Probe probe = c.getReadinessProbe();
        int period = probe == null || probe.getPeriodSeconds() == null ? 10 : Math.max(1, probe.getPeriodSeconds());
        int failureThreshold = probe == null || probe.getFailureThreshold() == null ? 3 : Math.max(1, probe.getFailureThreshold());
        boolean ready = false;
        int failures = 0;
        while (p.isAlive()) {
            boolean ok = probe(c, probe);
            if (ok) {
                failures = 0;
                if (!ready) {
                    ready = true;
                    setReady(c, true);
                }
            } else if (ready && ++failures >= failureThreshold) {
                ready = false;
                setReady(c, false);
            }
            long wait = ready ? TimeUnit.SECONDS.toMillis(period) : PROBE_UNTIL_READY.toMillis();
            if (p.waitFor(wait, TimeUnit.MILLISECONDS)) {
                break;
            }
        }
        p.waitFor();
    }

    private boolean probe(Container c, Probe probe) {
        if (probe == null || (probe.getTcpSocket() == null && probe.getHttpGet() == null)) {
            return true; // no probe (or exec, which the local node does not run): ready when running
        }
        if (probe.getTcpSocket() != null) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), localPort(c, probe.getTcpSocket().getPort())), 1000);
                return true;
            } catch (IOException e) {
                return false;
            }
        }
        try {
            String path = probe.getHttpGet().getPath() == null ? "/" : probe.getHttpGet().getPath();
            HttpURLConnection conn = (HttpURLConnection) URI.create("http://127.0.0.1:"
                    + localPort(c, probe.getHttpGet().getPort()) + path).toURL().openConnection();
            conn.setConnectTimeout(1000);
            conn.setReadTimeout(1000);
            int code = conn.getResponseCode();
            conn.disconnect();
            return code >= 200 && code < 400;
        } catch (IOException e) {
            return false;
        }
    }

    /** The local port a container port (number or name) maps to: the chosen port for the container's own ports. */
    private int localPort(Container c, IntOrString target) {
        int number;
        if (target == null) {
            return port;
        }
        if (target.getIntVal() != null) {
            number = target.getIntVal();
        } else {
            number = list(c.getPorts()).stream().filter(cp -> target.getStrVal().equals(cp.getName()))
                    .map(ContainerPort::getContainerPort).findFirst().orElse(-1);
        }
        boolean declared = list(c.getPorts()).stream().anyMatch(cp -> Objects.equals(cp.getContainerPort(), number));
        return declared || number == containerPortOfCommand(c) ? port : number;
    }

    private static int containerPortOfCommand(Container c) {
        List<String> words = commandLine(c);
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            if (w.equals("--port") && i + 1 < words.size()) {
                return parseInt(words.get(i + 1));
            }
            if (w.startsWith("--port=")) {
                return parseInt(w.substring("--port=".length()));
            }
        }
        return -1;
    }

    private static int parseInt(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static List<String> commandLine(Container c) {
        List<String> words = new ArrayList<>(list(c.getCommand()));
        words.addAll(list(c.getArgs()));
        return words;
    }

    /** Starts the container's command as a local process with the pod's env and the mapped paths. */
    private Process launch(Container c, boolean main) throws PodSetupException, InterruptedException {
        Map<String, String> podEnv = ContainerEnv.resolve(client, pod, c);
        List<String> words = commandLine(c);
        if (list(c.getCommand()).isEmpty()) {
            if (c.getImage() != null && c.getImage().contains(OPENCODE)) {
                words.add(0, OPENCODE); // the opencode image's entrypoint
            } else {
                throw new PodSetupException("RunContainerError",
                        "the local node cannot read the entrypoint of image " + c.getImage() + ": set command");
            }
        }
        for (int i = 0; i < words.size(); i++) {
            words.set(i, ContainerEnv.expand(words.get(i), podEnv));
        }
        boolean opencode = isOpencode(words.get(0));
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
        for (String inherited : NODE_ENV) {
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
            Path log = files.log();
            Files.writeString(log, "==== " + now() + " collab-local: starting " + (main ? "container " : "init container ")
                    + c.getName() + " of pod " + key + " (" + uid() + ")" + (opencode ? " on 127.0.0.1:" + port : "") + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            ApiStateStore.restrict(log);
            pb.redirectErrorStream(true);
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            if (stopping) {
                throw new InterruptedException("pod is stopping");
            }
            Process p = pb.start();
            process = p;
            if (opencode) {
                lastOpencode = p;
                Files.writeString(files.sessionDir().resolve(PID_FILE), Long.toString(p.pid()), StandardCharsets.UTF_8);
            }
            if (stopping) { // stop() ran between the check and the assignment
                terminate(p, grace());
            }
            return p;
        } catch (IOException e) {
            throw new PodSetupException("RunContainerError", "cannot start " + words.get(0) + ": " + e.getMessage());
        }
    }

    /** The pid file names a live worker only (a stale one could name a reused pid after a crash of this JVM). */
    private void forgetPid() {
        Path pidFile = files.sessionDir().resolve(PID_FILE);
        try {
            Process last = lastOpencode;
            if (last != null && Files.isRegularFile(pidFile)
                    && Long.toString(last.pid()).equals(Files.readString(pidFile, StandardCharsets.UTF_8).trim())) {
                Files.delete(pidFile);
            }
        } catch (IOException e) {
            LOG.debugf("cannot remove %s: %s", pidFile, e.getMessage());
        }
    }

    private boolean isOpencode(String word) {
        return OPENCODE.equals(word) || word.endsWith("/" + OPENCODE);
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
                out.add(w.equals("--hostname") ? LocalKubelet.POD_IP : Integer.toString(port));
                host |= w.equals("--hostname");
                portSet |= w.equals("--port");
                i++;
            } else if (w.startsWith("--hostname=")) {
                out.add("--hostname=" + LocalKubelet.POD_IP);
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
                out.add(LocalKubelet.POD_IP);
            }
            if (!portSet) {
                out.add("--port");
                out.add(Integer.toString(port));
            }
        }
        return out;
    }

    private void annotatePort() {
        String patch = "[{\"op\":\"add\",\"path\":\"/metadata/annotations/" + CollabLabels.ENDPOINT_PORT.replace("/", "~1")
                + "\",\"value\":\"" + port + "\"}]";
        try {
            client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
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

    // ---- status

    private ContainerStatus waiting(Container c, int restarts, String reason, String message, ContainerState last) {
        return new ContainerStatusBuilder().withName(c.getName()).withImage(c.getImage()).withImageID("")
                .withReady(false).withStarted(false).withRestartCount(restarts)
                .withState(new ContainerStateBuilder().withNewWaiting().withReason(reason).withMessage(message).endWaiting().build())
                .withLastState(last == null ? new ContainerState() : last)
                .build();
    }

    private ContainerState terminatedState(int exit, String startedAt, long pid) {
        return new ContainerStateBuilder().withNewTerminated().withExitCode(exit)
                .withReason(exit == 0 ? "Completed" : "Error").withStartedAt(startedAt).withFinishedAt(now())
                .withContainerID(containerId(pid)).endTerminated().build();
    }

    static String containerId(long pid) {
        return "local://" + pid;
    }

    private void setAllWaiting(String reason, String message) {
        synchronized (lock) {
            for (Map<String, ContainerStatus> statuses : List.of(initStatuses, mainStatuses)) {
                statuses.values().forEach(s -> s.setState(new ContainerStateBuilder().withNewWaiting().withReason(reason)
                        .withMessage(message).endWaiting().build()));
            }
        }
        report();
    }

    private void setWaiting(Map<String, ContainerStatus> statuses, Container c, String reason, String message) {
        synchronized (lock) {
            ContainerStatus s = statuses.get(c.getName());
            s.setState(new ContainerStateBuilder().withNewWaiting().withReason(reason).withMessage(message).endWaiting().build());
            s.setReady(false);
        }
        report();
    }

    private void setState(Map<String, ContainerStatus> statuses, Container c, ContainerState state, boolean ready, long pid) {
        synchronized (lock) {
            ContainerStatus s = statuses.get(c.getName());
            s.setState(state);
            s.setReady(ready);
            s.setStarted(state.getRunning() != null);
            s.setContainerID(containerId(pid));
        }
        report();
    }

    private void setReady(Container c, boolean ready) {
        synchronized (lock) {
            mainStatuses.get(c.getName()).setReady(ready);
        }
        LOG.debugf("local node: pod %s ready=%s", key, ready);
        report();
    }

    private PodStatus buildStatus() {
        synchronized (lock) {
            boolean containersReady = !mainStatuses.isEmpty() && mainStatuses.values().stream()
                    .allMatch(s -> Boolean.TRUE.equals(s.getReady()) || "LocalNodeUnsupported".equals(reasonOf(s)));
            boolean initDone = initialized || initStatuses.isEmpty();
            List<PodCondition> conditions = List.of(
                    condition("PodScheduled", true, null),
                    condition("Initialized", initDone, initDone ? null : "ContainersNotInitialized"),
                    condition("ContainersReady", containersReady, containersReady ? null : "ContainersNotReady"),
                    condition("Ready", containersReady, containersReady ? null : "ContainersNotReady"));
            return new PodStatusBuilder()
                    .withPhase(everStarted ? "Running" : "Pending")
                    .withConditions(conditions)
                    .withHostIP(LocalKubelet.POD_IP)
                    .withPodIP(LocalKubelet.POD_IP)
                    .withPodIPs(new PodIPBuilder().withIp(LocalKubelet.POD_IP).build())
                    .withStartTime(startTime.toString())
                    .withQosClass("Burstable")
                    .withInitContainerStatuses(copy(initStatuses))
                    .withContainerStatuses(copy(mainStatuses))
                    .build();
        }
    }

    private static String reasonOf(ContainerStatus s) {
        return s.getState() == null || s.getState().getWaiting() == null ? null : s.getState().getWaiting().getReason();
    }

    private PodCondition condition(String type, boolean value, String reason) {
        String status = value ? "True" : "False";
        if (!status.equals(conditionValues.put(type, status))) {
            conditionTimes.put(type, now());
        }
        return new PodConditionBuilder().withType(type).withStatus(status).withReason(reason)
                .withLastTransitionTime(conditionTimes.get(type)).build();
    }

    private static List<ContainerStatus> copy(Map<String, ContainerStatus> statuses) {
        return statuses.values().stream().map(s -> new ContainerStatusBuilder(s).build()).toList();
    }

    /** Replaces the whole status (JSON patch "add /status": the mock's merge patch would append to lists). */
    private void report() {
        if (!report) {
            return;
        }
        String json;
        synchronized (lock) {
            json = Serialization.asJson(buildStatus());
            if (json.equals(lastReportedJson)) {
                return;
            }
            lastReportedJson = json;
        }
        try {
            client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                    .subresource("status").patch(PatchContext.of(PatchType.JSON),
                            "[{\"op\":\"add\",\"path\":\"/status\",\"value\":" + json + "}]");
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                LOG.debugf("local node: status of pod %s not written: %s", key, e.getMessage());
            }
        }
    }

    private void sleep(Duration d) throws InterruptedException {
        if (!stopping) {
            Thread.sleep(d.toMillis());
        }
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static <T> List<T> list(List<T> l) {
        return l == null ? List.of() : l;
    }
}

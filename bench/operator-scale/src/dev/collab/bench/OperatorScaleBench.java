package dev.collab.bench;

import com.sun.net.httpserver.HttpServer;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.SessionPhase;
import dev.collab.api.StoppedReason;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * bench/operator-scale: the packaged operator (separate JVM) against the Fabric8 mock API server
 * (CRUD mode, this JVM) with a fake kubelet and a fake opencode /session/status, for N sessions.
 * Usage: OperatorScaleBench <app-dir> <out-dir> N [N...]
 */
public final class OperatorScaleBench implements AutoCloseable {
    static final String NS = "collab";
    /** Strong reference: JUL forgets loggers nobody holds, and with them their level. */
    private static final List<Logger> QUIET = new ArrayList<>();

    static final long KUBELET_DELAY_MS = Long.getLong("bench.kubeletDelayMs", 200);
    static final int STEADY_SECONDS = Integer.getInteger("bench.steadySeconds", 60);
    static final int IDLE_TIMEOUT_SECONDS = Integer.getInteger("bench.idleTimeoutSeconds", 20);
    static final int CREATE_THREADS = Integer.getInteger("bench.createThreads", 4);
    /** Which API servers each size runs on, in this order: "mock", "real" (the control plane of tools/). */
    static final List<String> APIS =
            List.of(System.getProperty("bench.apis", "mock,real").split(","));

    public static void main(String[] args) throws Exception {
        for (String name : List.of("io.fabric8.mockwebserver", "io.fabric8.kubernetes.client.server.mock", "")) {
            Logger l = Logger.getLogger(name);
            l.setLevel(Level.WARNING);
            QUIET.add(l);
        }
        Path app = Path.of(args[0]);
        Path out = Path.of(args[1]);
        Files.createDirectories(out);
        List<Result> results = new ArrayList<>();
        List<ReferenceScaleRun.Pair> referenced = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            int n = Integer.parseInt(args[i]);
            for (String which : APIS) {
                Result r;
                try (ScaleApi api = "real".equals(which) ? new RealScaleApi() : new MockScaleApi();
                        OperatorScaleBench bench = new OperatorScaleBench(app, out, n, api)) {
                    r = bench.run();
                    results.add(r);
                    System.out.println(r.report());
                }
                if ("real".equals(which) && ReferenceScaleRun.BINARY != null) {
                    referenced.add(new ReferenceScaleRun.Pair(r, ReferenceScaleRun.run(out, n)));
                }
            }
        }
        String table = Result.table(results) + ReferenceScaleRun.table(referenced);
        System.out.println(table);
        Files.writeString(out.resolve("table.md"), table);
        // Vert.x (mock server, client) leaves non-daemon threads behind: the bench is done.
        System.exit(0);
    }

    private final Path app;
    private final Path out;
    private final int n;
    private final ScaleApi api;
    private final KubernetesClient client;
    private final HttpServer opencode;
    private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2);
    // A cluster has a kubelet per node: the fake one must not be what sessions wait for (2 threads were, at 1,000).
    private final ExecutorService kubeletWorkers =
            Executors.newFixedThreadPool(Integer.getInteger("bench.kubeletThreads", 8));
    private final ExecutorService opencodeWorkers = Executors.newFixedThreadPool(2);
    private final Map<String, Instant> runningAt = new ConcurrentHashMap<>();
    private final Map<String, Instant> idleStoppedAt = new ConcurrentHashMap<>();
    private final AtomicLong lastRunningNanos = new AtomicLong();
    private final AtomicInteger kubeletUpdates = new AtomicInteger();
    private final AtomicInteger kubeletFailures = new AtomicInteger();
    private SharedIndexInformer<Pod> kubelet;
    private SharedIndexInformer<CollabSession> observer;
    private Process operator;
    private int httpPort;

    OperatorScaleBench(Path app, Path out, int n, ScaleApi api) throws IOException {
        this.app = app;
        this.out = out;
        this.n = n;
        this.api = api;
        this.client = api.client();
        opencode = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        opencode.createContext("/session/status", exchange -> {
            byte[] body = "{\"ses_1\":{\"type\":\"idle\"}}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(body);
            }
        });
        opencode.setExecutor(opencodeWorkers);
        opencode.start();
    }

    Result run() throws Exception {
        Result r = new Result(n, api.label());
        startHarness();
        startOperator();
        awaitOperatorReady();
        Thread.sleep(2000);

        double reconcilesBefore = reconciles();
        ramp(r, operator.pid());
        double rampReconciles = reconciles() - reconcilesBefore;
        r.reconciles = rampReconciles;
        r.reconcilesPerSecond = rampReconciles / Math.max(0.001, r.runningSeconds);
        r.kubeletUpdates = kubeletUpdates.get();
        Files.writeString(
                out.resolve("metrics-" + n + ".txt"), http("/q/metrics").body());

        // ---- steady state: nothing changes
        Map<String, Long> s0 = api.snapshot();
        double rs0 = reconciles();
        Thread.sleep(STEADY_SECONDS * 1000L);
        r.steady = diff(s0, api.snapshot());
        r.steadyReconciles = reconciles() - rs0;

        // ---- memory
        r.rssKb = procStatus("VmRSS");
        r.hwmKb = procStatus("VmHWM");
        r.heapAfterGc = heapAfterFullGc();

        // ---- no-op reconciles: a label the operator does not read changes on 10% of sessions
        int tenth = Math.max(1, n / 10);
        Map<String, Long> n0 = api.snapshot();
        double rn0 = reconciles();
        for (int i = 0; i < n; i += 10) {
            mergePatch(name(i), "{\"metadata\":{\"labels\":{\"bench/nudge\":\"" + System.nanoTime() + "\"}}}");
        }
        long nudgeDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (reconciles() - rn0 < tenth && System.nanoTime() < nudgeDeadline) {
            Thread.sleep(500);
        }
        Thread.sleep(2000);
        r.noopReconciles = reconciles() - rn0;
        r.noop = diff(n0, api.snapshot());

        // ---- idle: 10% get last-activity = T and idleTimeout = X, so they expire at T + X exactly
        Map<String, Long> i0 = api.snapshot();
        Instant activity = Instant.now();
        Instant expiry = activity.plusSeconds(IDLE_TIMEOUT_SECONDS);
        List<String> idle = new ArrayList<>();
        for (int i = 5; i < n; i += 10) {
            idle.add(name(i));
        }
        r.idleCount = idle.size();
        long p0 = System.nanoTime();
        for (String s : idle) {
            mergePatch(
                    s,
                    "{\"metadata\":{\"annotations\":{\"" + CollabLabels.LAST_ACTIVITY + "\":\"" + activity
                            + "\"}},\"spec\":{\"idleTimeout\":\"" + IDLE_TIMEOUT_SECONDS + "s\"}}");
        }
        r.idlePatchSeconds = (System.nanoTime() - p0) / 1e9;
        long idleDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(IDLE_TIMEOUT_SECONDS + 120);
        while (!idle.stream().allMatch(idleStoppedAt::containsKey) && System.nanoTime() < idleDeadline) {
            Thread.sleep(100);
        }
        List<Long> lags = new ArrayList<>();
        int early = 0;
        for (String s : idle) {
            Instant at = idleStoppedAt.get(s);
            if (at != null) {
                long lag = Duration.between(expiry, at).toMillis();
                if (lag < 0) {
                    early++;
                }
                lags.add(lag);
            }
        }
        lags.sort(Long::compare);
        r.idleStopped = lags.size();
        r.idleEarly = early;
        r.idleLagP50 = lags.isEmpty() ? -1 : lags.get(lags.size() / 2);
        r.idleLagMax = lags.isEmpty() ? -1 : lags.get(lags.size() - 1);
        Thread.sleep(2000);
        r.idle = diff(i0, api.snapshot());
        r.rssEndKb = procStatus("VmRSS");
        return r;
    }

    /** The fake kubelet and the bench's view of the sessions: what any controller under test runs against. */
    void startHarness() {
        startKubelet();
        startObserver();
    }

    /**
     * The ramp, for the controller process {@code pid} (the operator, or ReferenceScaleRun's Go controller): N
     * credential Secrets and CollabSessions until every session is Running; its CPU, the API server's, the requests.
     */
    void ramp(Result r, long pid) throws InterruptedException, IOException {
        Map<String, Long> before = api.snapshot();
        double cpu0 = api.serverCpuSeconds();
        double operatorCpu0 = ProcessCpu.seconds(pid);
        double operatorJit0 = ProcessCpu.jitSeconds(pid);
        boolean profiled = operator != null && operator.pid() == pid; // the JVM operator, not the Go reference
        if (profiled) {
            jcmd(
                    "JFR.start",
                    "name=ramp",
                    "settings=profile",
                    "filename=" + out.resolve("ramp-" + api.label() + "-" + n + ".jfr"));
        }
        long t0 = System.nanoTime();
        createAll();
        long created = System.nanoTime();
        r.createSeconds = (created - t0) / 1e9;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(300, n / 5));
        while (runningAt.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        r.running = runningAt.size();
        r.runningSeconds = (lastRunningNanos.get() - t0) / 1e9;
        r.serverCpuSeconds = cpu0 < 0 ? -1 : api.serverCpuSeconds() - cpu0;
        r.operatorCpuSeconds = ProcessCpu.seconds(pid) - operatorCpu0;
        r.operatorJitSeconds = ProcessCpu.jitSeconds(pid) - operatorJit0;
        r.afterLastCreateSeconds = (lastRunningNanos.get() - created) / 1e9;
        if (profiled) {
            jcmd("JFR.stop", "name=ramp");
        }
        Thread.sleep(3000); // let trailing reconciles (the Running transition's own follow-ups) finish
        r.ramp = diff(before, api.snapshot());
    }

    static String name(int i) {
        return String.format(Locale.ROOT, "s-%05d", i);
    }

    private void createAll() throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(CREATE_THREADS);
        String auth = Base64.getEncoder()
                .encodeToString(
                        "{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-bench\"}}".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < n; i++) {
            String name = name(i);
            String owner = "user" + Math.floorMod(name.hashCode(), 50) + "@example.com";
            pool.execute(() -> {
                client.secrets()
                        .inNamespace(NS)
                        .resource(new SecretBuilder()
                                .withNewMetadata()
                                .withName(name + "-creds")
                                .withNamespace(NS)
                                .withLabels(CollabLabels.credentialSecretLabels(owner))
                                .endMetadata()
                                .addToData("auth.json", auth)
                                .build())
                        .create();
                client.resources(CollabSession.class)
                        .inNamespace(NS)
                        .resource(new CollabSession(NS, name, new CollabSessionSpec(owner, name + "-creds")))
                        .create();
            });
        }
        pool.shutdown();
        pool.awaitTermination(1, TimeUnit.HOURS);
    }

    private void mergePatch(String name, String json) {
        client.resources(CollabSession.class)
                .inNamespace(NS)
                .withName(name)
                .patch(PatchContext.of(PatchType.JSON_MERGE), json);
    }

    // ---- fake kubelet: a new worker pod becomes Running and Ready on 127.0.0.1 (the fake opencode) shortly after
    private void startKubelet() {
        String port = Integer.toString(opencode.getAddress().getPort());
        kubelet = client.pods()
                .inNamespace(NS)
                .withLabel(CollabLabels.ROLE, CollabLabels.ROLE_WORKER)
                .inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(Pod pod) {
                        // Not started yet (the real API server sets phase Pending at creation; the mock leaves status
                        // empty).
                        if (pod.getStatus() == null || pod.getStatus().getPodIP() == null) {
                            timers.schedule(
                                    () -> kubeletWorkers.execute(() -> markReadyOrReport(pod, port)),
                                    KUBELET_DELAY_MS,
                                    TimeUnit.MILLISECONDS);
                        }
                    }

                    @Override
                    public void onUpdate(Pod oldPod, Pod newPod) {}

                    @Override
                    public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {}
                });
    }

    private void markReadyOrReport(Pod pod, String port) {
        try {
            markReady(pod, port);
        } catch (RuntimeException e) {
            if (kubeletFailures.incrementAndGet() <= 3) {
                System.err.println("fake kubelet: " + pod.getMetadata().getName() + ": " + e);
            }
        }
    }

    private void markReady(Pod pod, String port) {
        for (int attempt = 0; attempt < 5; attempt++) {
            String now = Instant.now().toString();
            pod.setStatus(new PodStatusBuilder()
                    .withPhase("Running")
                    .withPodIP("127.0.0.1")
                    .withStartTime(now)
                    .withConditions(
                            new PodConditionBuilder()
                                    .withType("PodScheduled")
                                    .withStatus("True")
                                    .build(),
                            new PodConditionBuilder()
                                    .withType("Ready")
                                    .withStatus("True")
                                    .build())
                    .withContainerStatuses(new ContainerStatusBuilder()
                            .withName("opencode")
                            .withReady(true)
                            .withRestartCount(0)
                            .withNewState()
                            .withNewRunning()
                            .withStartedAt(now)
                            .endRunning()
                            .endState()
                            .build())
                    .build());
            pod.getMetadata().getAnnotations().put(CollabLabels.ENDPOINT_PORT, port);
            try {
                if (api.real()) {
                    // Like the local node: the endpoint annotation first, then the status (which makes it Ready).
                    Pod annotated = client.pods()
                            .inNamespace(NS)
                            .withName(pod.getMetadata().getName())
                            .patch(
                                    PatchContext.of(PatchType.JSON_MERGE),
                                    "{\"metadata\":{\"annotations\":{\"" + CollabLabels.ENDPOINT_PORT + "\":\"" + port
                                            + "\"}}}");
                    annotated.setStatus(pod.getStatus());
                    client.pods().inNamespace(NS).resource(annotated).updateStatus();
                } else {
                    client.pods().inNamespace(NS).resource(pod).update();
                }
                kubeletUpdates.incrementAndGet();
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) {
                    return;
                }
                Pod fresh = client.pods()
                        .inNamespace(NS)
                        .withName(pod.getMetadata().getName())
                        .get();
                if (fresh == null) {
                    return;
                }
                pod = fresh;
            }
        }
    }

    // ---- the bench's view of the sessions: when each became Running and when each idled out
    private void startObserver() {
        observer = client.resources(CollabSession.class).inNamespace(NS).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(CollabSession s) {
                seen(s);
            }

            @Override
            public void onUpdate(CollabSession oldS, CollabSession newS) {
                seen(newS);
            }

            @Override
            public void onDelete(CollabSession s, boolean deletedFinalStateUnknown) {}
        });
    }

    private void seen(CollabSession s) {
        if (s.getStatus() == null) {
            return;
        }
        String name = s.getMetadata().getName();
        Instant now = Instant.now();
        if (s.getStatus().getPhase() == SessionPhase.Running && runningAt.putIfAbsent(name, now) == null) {
            lastRunningNanos.accumulateAndGet(System.nanoTime(), Math::max);
        }
        if (s.getStatus().getPhase() == SessionPhase.Stopped
                && s.getStatus().getStoppedReason() == StoppedReason.IdleTimeout) {
            idleStoppedAt.putIfAbsent(name, now);
        }
    }

    // ---- the operator: the packaged application in its own JVM
    /**
     * The packaged operator's command line, shared by this bench and ShardScaleBench: OPERATOR_JAVA_OPTS (run.sh sets
     * the flags deploy/ ships), the API's flags, {@code props}, and OPERATOR_PROPS.
     */
    static List<String> operatorCommand(Path app, ScaleApi api, int httpPort, List<String> props) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String opts = System.getenv()
                .getOrDefault(
                        "OPERATOR_JAVA_OPTS",
                        "-XX:MaxRAM=512m -XX:MaxRAMPercentage=60 -XX:InitialRAMPercentage=20 -XX:+UseSerialGC"
                                + " -XX:+ExitOnOutOfMemoryError");
        for (String o : opts.trim().split("\\s+")) {
            if (!o.isEmpty()) {
                cmd.add(o);
            }
        }
        cmd.addAll(api.operatorFlags());
        cmd.addAll(List.of("-Dcollab.role=operator", "-Dcollab.namespaces=" + NS));
        cmd.addAll(props);
        cmd.addAll(List.of(
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + httpPort,
                "-jar",
                app.resolve("quarkus-run.jar").toString()));
        String extra = System.getenv("OPERATOR_PROPS");
        if (extra != null && !extra.isBlank()) {
            int jar = cmd.indexOf("-jar");
            for (String p : extra.trim().split("\\s+")) {
                cmd.add(jar++, p);
            }
        }
        return cmd;
    }

    private void startOperator() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            httpPort = socket.getLocalPort();
        }
        List<String> cmd = operatorCommand(app, api, httpPort, List.of());
        File log = out.resolve("operator-" + api.label() + "-" + n + ".log").toFile();
        System.out.println("operator: " + String.join(" ", cmd).replaceAll("token=\\S+", "token=<redacted>"));
        ProcessBuilder builder =
                new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log);
        builder.environment().putAll(api.operatorEnv());
        operator = builder.start();
    }

    private void awaitOperatorReady() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!operator.isAlive()) {
                throw new IllegalStateException(
                        "operator exited: see " + out.resolve("operator-" + api.label() + "-" + n + ".log"));
            }
            try {
                if (http("/q/health/ready").statusCode() == 200 && reconciles() >= 0) {
                    // Informers are up once the lease and watches are there.
                    if (api.snapshot().keySet().stream().anyMatch(k -> k.startsWith("operator WATCH collabsessions"))) {
                        return;
                    }
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("operator not ready in 120 s");
    }

    private HttpResponse<String> http(String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                                .timeout(Duration.ofSeconds(30))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    private static final Pattern METRIC =
            Pattern.compile("^(operator_sdk_reconciliations_started_total)(\\{[^}]*\\})? ([0-9.eE+-]+)$");

    /** JOSDK's reconciliations-started counter, summed over its series (per resource or not: each reconcile counts once). */
    private double reconciles() throws IOException, InterruptedException {
        String body = http("/q/metrics").body();
        double sum = 0;
        boolean found = false;
        for (String line : body.split("\n")) {
            Matcher m = METRIC.matcher(line);
            if (m.matches()) {
                sum += Double.parseDouble(m.group(3));
                found = true;
            }
        }
        return found ? sum : 0;
    }

    private long procStatus(String field) throws IOException {
        return ProcessCpu.statusKb(operator.pid(), field);
    }

    /**
     * With -Dbench.profile=true, a JFR recording of the ramp alone (run.sh PROFILE=1 also deepens the operator's
     * stacks and prints the hot frames); otherwise nothing.
     */
    private void jcmd(String command, String... args) throws IOException, InterruptedException {
        if (!Boolean.getBoolean("bench.profile")) {
            return;
        }
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(operator.pid()),
                command));
        cmd.addAll(List.of(args));
        new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start()
                .waitFor(60, TimeUnit.SECONDS);
    }

    private String heapAfterFullGc() throws IOException, InterruptedException {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        String pid = Long.toString(operator.pid());
        new ProcessBuilder(jcmd, pid, "GC.run")
                .redirectErrorStream(true)
                .start()
                .waitFor(60, TimeUnit.SECONDS);
        Process p = new ProcessBuilder(jcmd, pid, "GC.heap_info")
                .redirectErrorStream(true)
                .start();
        String info = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        Files.writeString(out.resolve("heap-" + n + ".txt"), info);
        // what the live heap is made of (the top classes) and, with -XX:NativeMemoryTracking=summary in
        // OPERATOR_JAVA_OPTS, the memory outside it: for the memory figures in RESULTS.md
        for (String[] dump : List.of(
                new String[] {"GC.class_histogram", "histogram"}, new String[] {"VM.native_memory", "native-memory"})) {
            new ProcessBuilder(jcmd, pid, dump[0])
                    .redirectErrorStream(true)
                    .redirectOutput(out.resolve(dump[1] + "-" + n + ".txt").toFile())
                    .start()
                    .waitFor(60, TimeUnit.SECONDS);
        }
        long used = 0;
        long meta = 0;
        Matcher m = Pattern.compile(
                        "(?m)^\\s*(def new generation|tenured generation|garbage-first heap|PSYoungGen|ParOldGen)"
                                + "\\s+total \\d+K, used (\\d+)K")
                .matcher(info);
        while (m.find()) {
            used += Long.parseLong(m.group(2));
        }
        Matcher mm = Pattern.compile("Metaspace\\s+used (\\d+)K").matcher(info);
        if (mm.find()) {
            meta = Long.parseLong(mm.group(1));
        }
        return String.format(Locale.ROOT, "%.0f MiB heap used (+%.0f MiB metaspace)", used / 1024.0, meta / 1024.0);
    }

    static Map<String, Long> diff(Map<String, Long> a, Map<String, Long> b) {
        Map<String, Long> d = new LinkedHashMap<>();
        b.forEach((k, v) -> {
            long x = v - a.getOrDefault(k, 0L);
            if (x != 0) {
                d.put(k, x);
            }
        });
        return d;
    }

    @Override
    public void close() {
        if (operator != null) {
            operator.destroy();
            try {
                if (!operator.waitFor(20, TimeUnit.SECONDS)) {
                    operator.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (kubelet != null) {
            kubelet.close();
        }
        if (observer != null) {
            observer.close();
        }
        timers.shutdownNow();
        kubeletWorkers.shutdownNow();
        opencode.stop(0);
        opencodeWorkers.shutdownNow();
    }
}

package dev.collab.bench;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.SessionPhase;
import dev.collab.api.Shards;
import dev.collab.testing.StatusSubresourceKubelet;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * bench/operator-scale with BENCH_SHARDS=k: k packaged operators, one per shard (collab.operator.shards=k), against
 * the real control plane with a FAKE kubelet writing pod status, for N sessions in all. Reports per shard the sessions
 * it got, its CPU seconds while the sessions started and in a steady interval, and its RSS.
 * Usage: ShardScaleBench <app-dir> <out-dir> N [N...]
 */
public final class ShardScaleBench {
    static final String NS = "collab";
    static final String SYSTEM_NS = "collab-system";
    static final int SHARDS = Integer.getInteger("bench.shards", 2);
    static final int STEADY_SECONDS = Integer.getInteger("bench.steadySeconds", 30);

    record Shard(int index, Process process, int port) {}

    public static void main(String[] args) throws Exception {
        Path app = Path.of(args[0]);
        Path out = Path.of(args[1]);
        Files.createDirectories(out);
        StringBuilder report = new StringBuilder();
        for (int i = 2; i < args.length; i++) {
            report.append(run(app, out, Integer.parseInt(args[i])));
        }
        System.out.println(report);
        Files.writeString(out.resolve("shards-table.md"), report.toString());
        System.exit(0);
    }

    static String run(Path app, Path out, int n) throws Exception {
        List<Shard> shards = new ArrayList<>();
        try (RealScaleApi api = new RealScaleApi();
                StatusSubresourceKubelet kubelet = new StatusSubresourceKubelet(api.client(), NS)) {
            KubernetesClient admin = api.client();
            dev.collab.testing.CollabInstall.grantShardLeases(admin, SHARDS);
            for (int k = 0; k < SHARDS; k++) {
                shards.add(start(app, out, api, k, n));
            }
            for (Shard s : shards) {
                awaitReady(s, out, n);
            }
            Thread.sleep(2000);
            double[] cpu0 = cpu(shards);
            long t0 = System.nanoTime();
            create(admin, n);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(300, n / 5));
            long running = 0;
            while (running < n && System.nanoTime() < deadline) {
                Thread.sleep(500);
                running = admin.resources(CollabSession.class).inNamespace(NS).list().getItems().stream()
                        .filter(s -> s.getStatus() != null && s.getStatus().getPhase() == SessionPhase.Running)
                        .count();
            }
            double rampSeconds = (System.nanoTime() - t0) / 1e9;
            double[] cpu1 = cpu(shards);
            Thread.sleep(STEADY_SECONDS * 1000L);
            double[] cpu2 = cpu(shards);
            int[] perShard = new int[SHARDS];
            admin.resources(CollabSession.class)
                    .inNamespace(NS)
                    .list()
                    .getItems()
                    .forEach(s -> {
                        String label = s.getMetadata().getLabels() == null
                                ? null
                                : s.getMetadata().getLabels().get(Shards.LABEL);
                        if (label != null) {
                            perShard[Integer.parseInt(label)]++;
                        }
                    });
            StringBuilder table = new StringBuilder(String.format(
                    Locale.ROOT,
                    "%n%d sessions, %d shards (real control plane): %d Running after %.1f s%n"
                            + "| shard | sessions | CPU s (start) | CPU s (%d s steady) | RSS MiB | peak RSS MiB |%n"
                            + "|---|---|---|---|---|---|%n",
                    n,
                    SHARDS,
                    running,
                    rampSeconds,
                    STEADY_SECONDS));
            for (Shard s : shards) {
                table.append(String.format(
                        Locale.ROOT,
                        "| %d | %d | %.1f | %.1f | %d | %d |%n",
                        s.index(),
                        perShard[s.index()],
                        cpu1[s.index()] - cpu0[s.index()],
                        cpu2[s.index()] - cpu1[s.index()],
                        procStatus(s.process(), "VmRSS") / 1024,
                        procStatus(s.process(), "VmHWM") / 1024));
            }
            return table.toString();
        } finally {
            for (Shard s : shards) {
                s.process().destroy();
                if (!s.process().waitFor(20, TimeUnit.SECONDS)) {
                    s.process().destroyForcibly();
                }
            }
        }
    }

    static Shard start(Path app, Path out, RealScaleApi api, int k, int n) throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        List<String> cmd = OperatorScaleBench.operatorCommand(
                app,
                api,
                port,
                List.of(
                        "-Dcollab.operator.shards=" + SHARDS,
                        "-Dcollab.operator.shard=" + k,
                        "-Dcollab.gateway.url=http://collab-gateway.collab-system:8080",
                        "-Dcollab.gateway.egress.url=http://collab-gateway.collab-system:3128"));
        File log = out.resolve("operator-shard-" + k + "-" + n + ".log").toFile();
        ProcessBuilder builder =
                new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log);
        builder.environment().putAll(api.operatorEnv());
        builder.environment().put("HOSTNAME", "operator-shard-" + k);
        return new Shard(k, builder.start(), port);
    }

    static void awaitReady(Shard s, Path out, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        HttpClient http = HttpClient.newHttpClient();
        while (System.nanoTime() < deadline) {
            if (!s.process().isAlive()) {
                throw new IllegalStateException("shard " + s.index() + " exited: see "
                        + out.resolve("operator-shard-" + s.index() + "-" + n + ".log"));
            }
            try {
                var response = http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/q/health/ready"))
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("shard " + s.index() + " not ready in 120 s");
    }

    /** One credential Secret per 10 sessions (one owner each) and the sessions bench-<i>. */
    static void create(KubernetesClient admin, int n) {
        int owners = Math.max(1, n / 10);
        for (int o = 0; o < owners; o++) {
            admin.secrets()
                    .inNamespace(NS)
                    .resource(new SecretBuilder()
                            .withNewMetadata()
                            .withName("bench-credentials-" + o)
                            .withLabels(CollabLabels.credentialSecretLabels("owner-" + o))
                            .endMetadata()
                            .withStringData(Map.of("auth.json", "{}"))
                            .build())
                    .createOr(s -> s.update());
        }
        IntStream.range(0, n)
                .parallel()
                .forEach(i -> admin.resources(CollabSession.class)
                        .resource(new CollabSession(
                                NS,
                                "bench-" + i,
                                new CollabSessionSpec("owner-" + (i % owners), "bench-credentials-" + (i % owners))))
                        .create());
    }

    static double[] cpu(List<Shard> shards) {
        return shards.stream()
                .mapToDouble(s -> ProcessCpu.seconds(s.process().pid()))
                .toArray();
    }

    static long procStatus(Process p, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(p.pid()), "status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}

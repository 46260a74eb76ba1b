package dev.collab.local;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPool;
import dev.collab.api.CollabSessionPoolSpec;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CredentialsMode;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;

/**
 * Local mode with the real opencode: create -> first successful answer through the router (GET /s/<name>/session =
 * 200), per session. Reference of the same run: sessions without a pool (a worker started for each). Then a Gateway
 * pool (the default mode; the claim hands opencode nothing): sessions one after another with a warm worker available,
 * bursts of N and 2N creations at once against a full pool of N (beyond N the pool is drained: those start their own
 * worker), refill time; then a Seeded pool (claim + PUT /auth + dispose) for its own figure. Sessions are deleted
 * after their first answer. Also the RSS of idle warm workers. Usage: bench/pool/run.sh [sessions] [pool-size]
 */
public final class PoolBench {
    private static final String NS = "default";
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private PoolBench() {}

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args[0]);
        String opencode = args[1];
        int sessions = Integer.parseInt(args[2]);
        int poolSize = Integer.parseInt(args[3]);
        Path work = Files.createTempDirectory("collab-pool-bench");
        int httpPort = ContainerLauncher.freePort();
        String router = "http://127.0.0.1:" + httpPort;
        ProcessBuilder pb = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-jar",
                jar.toAbsolutePath().toString());
        pb.environment().put("COLLAB_ROLE", "local");
        pb.environment().put("COLLAB_LOCAL_DATA_DIR", work.resolve("data").toString());
        pb.environment().put("COLLAB_LOCAL_OPENCODE_COMMAND", opencode);
        pb.environment().put("QUARKUS_HTTP_PORT", Integer.toString(httpPort));
        pb.redirectErrorStream(true).redirectOutput(work.resolve("collab.log").toFile());
        Process app = pb.start();
        try {
            Path kubeconfig = work.resolve("data/kubeconfig");
            await(() ->
                    Files.isRegularFile(kubeconfig) && status(router + "/q/health/live", null) == 200 ? true : null);
            try (KubernetesClient client = new KubernetesClientBuilder()
                    .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig)))
                    .build()) {
                run(client, router, work.resolve("data"), sessions, poolSize);
            }
        } finally {
            app.destroy();
            app.waitFor();
            PodFiles.deleteTree(work);
        }
        System.exit(0); // the Fabric8 client's and the HTTP client's threads would keep the JVM alive
    }

    private static void run(KubernetesClient client, String router, Path data, int sessions, int poolSize)
            throws Exception {
        int references = Math.max(poolSize, sessions / 5);
        System.out.printf("load average at start: %s", Files.readString(Path.of("/proc/loadavg")));
        List<Long> cold = new ArrayList<>();
        for (int i = 0; i < references; i++) {
            cold.add(createAndAnswer(client, router, "cold-" + i, null));
        }

        long fillStart = System.nanoTime();
        createPool(client, "gw", CredentialsMode.Gateway, poolSize);
        awaitReady(client, "gw", poolSize);
        long filled = ms(System.nanoTime() - fillStart);
        Thread.sleep(5000); // let the warm workers settle before measuring their memory
        long rssKiB = warmRssKiB(client, data);
        List<Long> warm = new ArrayList<>();
        List<Long> refill = new ArrayList<>();
        for (int i = 0; i < sessions; i++) {
            awaitReady(client, "gw", poolSize); // a warm worker is available for every session measured
            warm.add(createAndAnswer(client, router, "warm-" + i, "gw"));
            long start = System.nanoTime();
            awaitReady(client, "gw", poolSize);
            refill.add(ms(System.nanoTime() - start));
        }
        List<Long> burstN = burst(client, router, "burst-a", poolSize, "gw");
        awaitReady(client, "gw", poolSize);
        List<Long> burst2N = burst(client, router, "burst-b", 2 * poolSize, "gw");
        client.resources(CollabSessionPool.class).inNamespace(NS).withName("gw").delete();

        createPool(client, "seeded", CredentialsMode.Seeded, poolSize);
        List<Long> seeded = new ArrayList<>();
        for (int i = 0; i < Math.max(poolSize, sessions / 5); i++) {
            awaitReady(client, "seeded", poolSize);
            seeded.add(createAndAnswer(client, router, "seeded-" + i, "seeded"));
        }
        client.resources(CollabSessionPool.class)
                .inNamespace(NS)
                .withName("seeded")
                .delete();

        Collections.sort(cold);
        Collections.sort(warm);
        Collections.sort(refill);
        Collections.sort(seeded);
        System.out.printf("create -> first answer through the router (ms):%n");
        line("without pool (reference: worker started for the session)", cold);
        line("Gateway pool, warm worker available (claim, nothing handed over)", warm);
        line("Seeded pool, warm worker available (claim + PUT /auth + dispose)", seeded);
        System.out.printf(
                "  ratio p50 Gateway warm / reference = %.3f, Seeded warm / reference = %.3f%n",
                (double) p(warm, 50) / p(cold, 50), (double) p(seeded, 50) / p(cold, 50));
        System.out.printf(
                "bursts against a full Gateway pool of %d (created at once, in order of answer):%n", poolSize);
        System.out.printf("  burst of %d: %s%n", poolSize, burstN);
        System.out.printf("  burst of %d: %s (the last %d found the pool drained)%n", 2 * poolSize, burst2N, poolSize);
        System.out.printf(
                "pool of %d: filled from empty in %d ms; refill after a claim (back to %d Ready) p50 %d ms, p95 %d ms"
                        + " (%.1f workers/min while refilling one at a time)%n",
                poolSize, filled, poolSize, p(refill, 50), p(refill, 95), 60_000.0 / Math.max(1, p(refill, 50)));
        System.out.printf(
                "memory: %d idle warm workers, opencode RSS %d MiB in all, %d MiB each%n",
                poolSize, rssKiB / 1024, rssKiB / 1024 / poolSize);
        System.out.printf("load average at end: %s", Files.readString(Path.of("/proc/loadavg")));
    }

    private static void line(String what, List<Long> sorted) {
        System.out.printf(
                "  %-68s n=%d p50 %d, p95 %d, p99 %d, max %d%n",
                what, sorted.size(), p(sorted, 50), p(sorted, 95), p(sorted, 99), sorted.get(sorted.size() - 1));
    }

    private static void createPool(KubernetesClient client, String name, CredentialsMode mode, int size) {
        CollabSessionPoolSpec spec = new CollabSessionPoolSpec(size);
        spec.getTemplate().setCredentialsMode(mode);
        client.resources(CollabSessionPool.class)
                .inNamespace(NS)
                .resource(new CollabSessionPool(NS, name, spec))
                .create();
    }

    /** {@code count} sessions created at once (one thread each); their latencies sorted. */
    private static List<Long> burst(KubernetesClient client, String router, String prefix, int count, String pool)
            throws Exception {
        List<Long> out = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String name = prefix + "-" + i;
            Thread t = new Thread(() -> {
                try {
                    out.add(createAndAnswer(client, router, name, pool));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        List<Long> sorted = new ArrayList<>(out);
        Collections.sort(sorted);
        return sorted;
    }

    /**
     * Creates the session (mode: Seeded for a Seeded pool, else the default, Gateway) with an auth.json api key,
     * waits for GET /session through the router to answer 200, deletes it.
     */
    private static long createAndAnswer(KubernetesClient client, String router, String name, String pool)
            throws Exception {
        client.secrets()
                .inNamespace(NS)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName(name + "-credentials")
                        .withLabels(CollabLabels.credentialSecretLabels(name + "@example.com"))
                        .endMetadata()
                        .addToData("auth.json", b64("{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-" + name + "\"}}"))
                        .build())
                .create();
        CollabSessionSpec spec = new CollabSessionSpec(name + "@example.com", name + "-credentials");
        spec.setPoolRef(pool);
        if ("seeded".equals(pool)) {
            spec.getCredentials().setMode(CredentialsMode.Seeded);
        }
        long start = System.nanoTime();
        client.resources(CollabSession.class)
                .inNamespace(NS)
                .resource(new CollabSession(NS, name, spec))
                .create();
        String token = await(() -> token(client, name));
        long published = ms(System.nanoTime() - start);
        List<String> attempts = new ArrayList<>();
        await(() -> {
            long before = System.nanoTime();
            int code = status(router + "/s/" + name + "/session", token);
            attempts.add(code + " in " + ms(System.nanoTime() - before) + " ms");
            return code == 200 ? true : null;
        });
        long elapsed = ms(System.nanoTime() - start);
        if (System.getenv("POOL_BENCH_TRACE") != null) {
            long before = System.nanoTime();
            int again = status(router + "/s/" + name + "/session", token);
            System.out.printf(
                    "  %s: token readable after %d ms, first answer after %d ms (router: %s; next: %d in %d ms)%n",
                    name, published, elapsed, attempts, again, ms(System.nanoTime() - before));
        }
        client.resources(CollabSession.class).inNamespace(NS).withName(name).delete();
        client.secrets().inNamespace(NS).withName(name + "-credentials").delete();
        return elapsed;
    }

    private static String token(KubernetesClient client, String name) {
        CollabSession s = client.resources(CollabSession.class)
                .inNamespace(NS)
                .withName(name)
                .get();
        if (s == null || s.getStatus() == null || s.getStatus().getAccessSecretName() == null) {
            return null;
        }
        var secret = client.secrets()
                .inNamespace(NS)
                .withName(s.getStatus().getAccessSecretName())
                .get();
        return secret == null || secret.getData() == null || secret.getData().get("token") == null
                ? null
                : new String(Base64.getDecoder().decode(secret.getData().get("token")), StandardCharsets.UTF_8);
    }

    private static void awaitReady(KubernetesClient client, String pool, int count) throws InterruptedException {
        await(() -> {
            CollabSessionPool p = client.resources(CollabSessionPool.class)
                    .inNamespace(NS)
                    .withName(pool)
                    .get();
            return p != null
                            && p.getStatus() != null
                            && p.getStatus().getReady() != null
                            && p.getStatus().getReady() >= count
                    ? true
                    : null;
        });
    }

    /** RSS of the warm workers' opencode processes (pid files of the local node under the data dir). */
    private static long warmRssKiB(KubernetesClient client, Path data) throws Exception {
        long total = 0;
        for (var pod : client.pods()
                .inNamespace(NS)
                .withLabel("collab.dev/pool")
                .list()
                .getItems()) {
            // sessions of local mode's default namespace live in sessions/<pod>, others under namespaces/<ns>/
            Path pid = data.resolve("namespaces")
                    .resolve(NS)
                    .resolve("sessions")
                    .resolve(pod.getMetadata().getName())
                    .resolve(LocalNodeSettings.PID_FILE);
            if (!Files.isRegularFile(pid)) {
                pid = data.resolve("sessions")
                        .resolve(pod.getMetadata().getName())
                        .resolve(LocalNodeSettings.PID_FILE);
            }
            if (Files.isRegularFile(pid)) {
                total += rssKiB(Files.readString(pid).trim());
            }
        }
        return total;
    }

    /** RSS of the process and its descendants (opencode runs its server in a child process). */
    private static long rssKiB(String pid) {
        long total = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc", pid, "status"))) {
                if (line.startsWith("VmRSS:")) {
                    total += Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            // children are listed per thread that forked them (the sandbox and opencode fork from several)
            try (var tasks = Files.list(Path.of("/proc", pid, "task"))) {
                for (Path task : tasks.toList()) {
                    Path children = task.resolve("children");
                    if (Files.isRegularFile(children)) {
                        for (String child : Files.readString(children).trim().split("\\s+")) {
                            if (!child.isBlank()) {
                                total += rssKiB(child);
                            }
                        }
                    }
                }
            }
        } catch (Exception e) {
            // the process ended meanwhile
        }
        return total;
    }

    private static int status(String url, String token) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60));
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static <T> T await(Supplier<T> probe) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (System.nanoTime() < end) {
            T value = probe.get();
            if (value != null) {
                return value;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("timed out");
    }

    private static long p(List<Long> sorted, int percentile) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1));
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}

package dev.collab.local;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPool;
import dev.collab.api.CollabSessionPoolSpec;
import dev.collab.api.CollabSessionSpec;
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
 * Local mode with the real opencode: create -> first successful answer through the router, per session, first
 * without a pool (the reference of the same run: a worker started for the session), then with a CollabSessionPool
 * whose warm worker is available (the session claims it; its auth.json reaches opencode by PUT /auth + dispose).
 * Sessions are created one after another and deleted after their first answer. Also: pool refill time after a
 * claim, and the RSS of the idle warm workers. Usage: bench/pool/run.sh [sessions] [pool-size]
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
        List<Long> cold = new ArrayList<>();
        for (int i = 0; i < sessions; i++) {
            cold.add(createAndAnswer(client, router, "cold-" + i));
        }
        client.resources(CollabSessionPool.class)
                .inNamespace(NS)
                .resource(
                        new CollabSessionPool(NS, CollabSessionPool.DEFAULT_POOL, new CollabSessionPoolSpec(poolSize)))
                .create();
        long fillStart = System.nanoTime();
        awaitReady(client, poolSize);
        long filled = ms(System.nanoTime() - fillStart);
        Thread.sleep(5000); // let the warm workers settle before measuring their memory
        long rssKiB = warmRssKiB(client, data);

        List<Long> warm = new ArrayList<>();
        List<Long> refill = new ArrayList<>();
        for (int i = 0; i < sessions; i++) {
            awaitReady(client, poolSize); // a warm worker is available for every session measured
            warm.add(createAndAnswer(client, router, "warm-" + i));
            long start = System.nanoTime();
            awaitReady(client, poolSize);
            refill.add(ms(System.nanoTime() - start));
        }
        Collections.sort(cold);
        Collections.sort(warm);
        Collections.sort(refill);
        System.out.printf("create -> first answer through the router, %d sessions each:%n", sessions);
        System.out.printf(
                "  without pool (worker started for the session): p50 %d ms, p95 %d ms, max %d ms%n",
                p(cold, 50), p(cold, 95), cold.get(cold.size() - 1));
        System.out.printf(
                "  with a warm worker (claim + PUT /auth + dispose):   p50 %d ms, p95 %d ms, max %d ms%n",
                p(warm, 50), p(warm, 95), warm.get(warm.size() - 1));
        System.out.printf("  ratio p50 warm / cold = %.3f%n", (double) p(warm, 50) / p(cold, 50));
        System.out.printf(
                "pool of %d: filled from empty in %d ms; refill after a claim (back to %d Ready) p50 %d ms, p95 %d ms"
                        + " (%.2f workers/min while refilling one at a time)%n",
                poolSize, filled, poolSize, p(refill, 50), p(refill, 95), 60_000.0 / Math.max(1, p(refill, 50)));
        System.out.printf(
                "memory: %d idle warm workers, opencode RSS %d MiB in all, %d MiB each%n",
                poolSize, rssKiB / 1024, rssKiB / 1024 / poolSize);
    }

    /** Creates the session with an auth.json, waits for GET /session through the router to answer 200, deletes it. */
    private static long createAndAnswer(KubernetesClient client, String router, String name) throws Exception {
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
        long start = System.nanoTime();
        client.resources(CollabSession.class)
                .inNamespace(NS)
                .resource(new CollabSession(
                        NS, name, new CollabSessionSpec(name + "@example.com", name + "-credentials")))
                .create();
        String token = await(() -> token(client, name));
        await(() -> status(router + "/s/" + name + "/session", token) == 200 ? true : null);
        long elapsed = ms(System.nanoTime() - start);
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

    private static void awaitReady(KubernetesClient client, int count) throws InterruptedException {
        await(() -> {
            CollabSessionPool p = client.resources(CollabSessionPool.class)
                    .inNamespace(NS)
                    .withName(CollabSessionPool.DEFAULT_POOL)
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
            Path pid = data.resolve("sessions")
                    .resolve(pod.getMetadata().getName())
                    .resolve(LocalNodeSettings.PID_FILE);
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
            Path children = Path.of("/proc", pid, "task", pid, "children");
            if (Files.isRegularFile(children)) {
                for (String child : Files.readString(children).trim().split("\\s+")) {
                    if (!child.isBlank()) {
                        total += rssKiB(child);
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

package dev.collab.local;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CredentialsMode;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
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
import java.util.Map;
import java.util.function.Supplier;

/**
 * Local mode with the real opencode and the fake Anthropic endpoint of the isolation proof: create -> Ready,
 * Ready -> first answer, and credential upload -> first answer carrying the new key (N uploads, each draining the
 * old worker first), every request through the router; a request that gets no 200 counts as lost, and the router's
 * retries (requests a replaced worker never answered, sent to the new one) are printed. Reference measured in the same run: the bare
 * opencode process, start -> its handler answers (no operator, no local node).
 * Usage: bench/readiness/run.sh [uploads]
 */
public final class ReadinessBench {
    private static final String NS = "default";
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();

    private ReadinessBench() {}

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args[0]);
        String opencode = args[1];
        int uploads = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        List<CredentialsMode> modes = args.length > 3 && !"both".equals(args[3])
                ? List.of(CredentialsMode.valueOf(args[3]))
                : List.of(CredentialsMode.Seeded, CredentialsMode.Gateway);
        Path work = Files.createTempDirectory("collab-readiness-bench");
        List<Long> bare = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            bare.add(bareStart(opencode, work.resolve("bare-" + i)));
        }
        try (FakeAnthropic anthropic = new FakeAnthropic()) {
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
            // Gateway mode: the credential gateway's provider is the fake Anthropic endpoint
            pb.environment().put("COLLAB_GATEWAY_UPSTREAM", "http://127.0.0.1:" + anthropic.port() + "/provider");
            pb.redirectErrorStream(true)
                    .redirectOutput(work.resolve("collab.log").toFile());
            Process app = pb.start();
            try {
                Path kubeconfig = work.resolve("data/kubeconfig");
                await(() -> Files.isRegularFile(kubeconfig)
                                && status(router + "/q/health/live", null, Duration.ofSeconds(2)) == 200
                        ? true
                        : null);
                try (KubernetesClient client = new KubernetesClientBuilder()
                        .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig)))
                        .build()) {
                    String admin =
                            Files.readString(work.resolve("data/admin-token")).trim();
                    for (CredentialsMode mode : modes) {
                        run(client, anthropic, router, admin, uploads, bare, mode);
                    }
                }
            } finally {
                app.destroy();
                app.waitFor();
                PodFiles.deleteTree(work);
            }
        }
        System.exit(0); // the API client's threads would keep the JVM alive
    }

    /**
     * One session in {@code mode}: Seeded (the session's own opencode.json points opencode at the fake provider; an
     * upload replaces the worker) or Gateway (the gateway forwards to the fake provider with the key of the Secret;
     * an upload changes the key the next request carries, no restart).
     */
    private static void run(
            KubernetesClient client,
            FakeAnthropic anthropic,
            String router,
            String admin,
            int uploads,
            List<Long> bare,
            CredentialsMode mode)
            throws Exception {
        String name = mode.name().toLowerCase(java.util.Locale.ROOT);
        System.out.printf("%s mode:%n", mode);
        String config = "{\"autoupdate\":false,\"share\":\"disabled\",\"provider\":{\"anthropic\":{\"options\":"
                + "{\"baseURL\":\"http://127.0.0.1:" + anthropic.port() + "/" + name + "/v1\"}}}}";
        var secret = new SecretBuilder()
                .withNewMetadata()
                .withName(name + "-credentials")
                .withLabels(CollabLabels.credentialSecretLabels(name + "@example.com"))
                .endMetadata()
                .addToData("auth.json", b64(authJson("sk-bench-00")));
        if (mode == CredentialsMode.Seeded) {
            secret.addToData("opencode.json", b64(config));
        }
        client.secrets().inNamespace(NS).resource(secret.build()).create();
        CollabSessionSpec spec = new CollabSessionSpec(name + "@example.com", name + "-credentials");
        spec.getCredentials().setMode(mode);
        spec.setEnv(List.of(
                new EnvVar("OPENCODE_DISABLE_MODELS_FETCH", "true", null),
                new EnvVar("OPENCODE_DISABLE_AUTOUPDATE", "true", null)));
        long created = System.nanoTime();
        client.resources(CollabSession.class)
                .inNamespace(NS)
                .resource(new CollabSession(NS, name, spec))
                .create();
        String token = await(() -> accessToken(client, name));
        await(() -> {
            CollabSession s = client.resources(CollabSession.class)
                    .inNamespace(NS)
                    .withName(name)
                    .get();
            return s.getStatus() != null && s.getStatus().getEndpoint() != null ? true : null;
        });
        long ready = System.nanoTime();
        int first = status(router + "/s/" + name + "/session", token);
        long answered = System.nanoTime();
        System.out.printf(
                "create -> Ready %d ms; Ready -> first answer %d ms (status %d)%n",
                ms(ready - created), ms(answered - ready), first);
        prompt(router, name, token); // opencode's first prompt on a fresh HOME (config install); not what is measured

        List<Long> toNewKey = new ArrayList<>();
        int lost = 0;
        int prompts = 0;
        for (int i = 1; i <= uploads; i++) {
            String key = String.format("sk-bench-%02d", i);
            long start = System.nanoTime();
            HttpResponse<String> up = HTTP.send(
                    HttpRequest.newBuilder(URI.create(router + "/collab/session/" + name + "/credentials/auth.json"))
                            .header("Authorization", "Bearer " + admin)
                            .PUT(HttpRequest.BodyPublishers.ofString(authJson(key)))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (up.statusCode() >= 300) {
                throw new IllegalStateException("upload " + up.statusCode() + " " + up.body());
            }
            while (true) {
                int before = anthropic.requests().size();
                prompts++;
                if (!prompt(router, name, token)) {
                    lost++;
                    continue;
                }
                List<FakeAnthropic.Recorded> sent = anthropic
                        .requests()
                        .subList(before, anthropic.requests().size());
                if (!sent.isEmpty() && sent.stream().allMatch(r -> key.equals(r.apiKey()))) {
                    toNewKey.add(ms(System.nanoTime() - start));
                    break;
                }
                if (ms(System.nanoTime() - start) > 120_000) {
                    throw new IllegalStateException("upload " + i + ": the new key is not in use after 120 s");
                }
            }
        }
        Collections.sort(toNewKey);
        Collections.sort(bare);
        long p50 = percentile(toNewKey, 50);
        long p95 = percentile(toNewKey, 95);
        long bareP50 = percentile(bare, 50);
        System.out.printf(
                "upload -> first answer with the new key over %d uploads: p50 %d ms, p95 %d ms, max %d ms;"
                        + " lost requests %d of %d prompts%n",
                uploads, p50, p95, toNewKey.get(toNewKey.size() - 1), lost, prompts);
        System.out.printf(
                "reference (same run): bare opencode start -> handler answers, p50 of %d: %d ms;"
                        + " ratio upload->new key p50 / bare start p50 = %.2f%n",
                bare.size(), bareP50, (double) p50 / bareP50);
        System.out.println("all upload -> new key (ms, sorted): " + toNewKey);
        System.out.println("router: " + retries(router)
                + " requests a replaced worker never answered, sent again to the new one (issue 29)");
    }

    /** collab_router_upstream_retries_total from the router's /q/metrics, or "?" when it cannot be read. */
    private static String retries(String router) {
        try {
            String metrics = HTTP.send(
                            HttpRequest.newBuilder(URI.create(router + "/q/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            return metrics.lines()
                    .filter(l -> l.startsWith("collab_router_upstream_retries_total"))
                    .map(l -> l.substring(l.lastIndexOf(' ') + 1))
                    .findFirst()
                    .orElse("?");
        } catch (Exception e) {
            return "?";
        }
    }

    /** POST /session then one message through the router; true when both answered 200 with the fake completion. */
    private static boolean prompt(String router, String name, String token) {
        try {
            String base = router + "/s/" + name;
            HttpResponse<String> created = HTTP.send(
                    HttpRequest.newBuilder(URI.create(base + "/session"))
                            .timeout(Duration.ofSeconds(60))
                            .header("Authorization", "Bearer " + token)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"title\":\"bench\"}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (created.statusCode() != 200) {
                System.out.println("  lost: POST /session -> " + created.statusCode() + " " + created.body());
                return false;
            }
            String id = Serialization.jsonMapper()
                    .readTree(created.body())
                    .get("id")
                    .asText();
            HttpResponse<String> reply = HTTP.send(
                    HttpRequest.newBuilder(URI.create(base + "/session/" + id + "/message"))
                            .timeout(Duration.ofSeconds(60))
                            .header("Authorization", "Bearer " + token)
                            .header("Content-Type", "application/json")
                            .POST(
                                    HttpRequest.BodyPublishers.ofString(
                                            "{\"model\":{\"providerID\":\"anthropic\",\"modelID\":"
                                                    + "\"claude-sonnet-4-5\"},\"parts\":[{\"type\":\"text\",\"text\":\"hi\"}]}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (reply.statusCode() != 200 || !reply.body().contains(FakeAnthropic.text())) {
                System.out.println("  lost: message -> " + reply.statusCode());
                return false;
            }
            return true;
        } catch (Exception e) {
            System.out.println("  lost: " + e);
            return false;
        }
    }

    /** Start of a bare `opencode serve` on a fresh HOME until GET /site.webmanifest answers 200. */
    private static long bareStart(String opencode, Path home) throws Exception {
        Files.createDirectories(home);
        int port = ContainerLauncher.freePort();
        ProcessBuilder pb = new ProcessBuilder(
                        opencode, "serve", "--hostname", "127.0.0.1", "--port", Integer.toString(port))
                .directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(home.resolve("log").toFile());
        pb.environment().clear();
        pb.environment()
                .putAll(Map.of(
                        "PATH",
                        System.getenv("PATH"),
                        "HOME",
                        home.toString(),
                        "OPENCODE_DISABLE_MODELS_FETCH",
                        "true",
                        "OPENCODE_DISABLE_AUTOUPDATE",
                        "true"));
        long start = System.nanoTime();
        Process p = pb.start();
        try {
            // a short timeout, like the readiness probe: a request that falls in opencode's handler gap is never
            // answered
            await(() -> status("http://127.0.0.1:" + port + "/site.webmanifest", null, Duration.ofMillis(500)) == 200
                    ? true
                    : null);
            return ms(System.nanoTime() - start);
        } finally {
            ContainerLauncher.terminate(p, Duration.ofSeconds(15));
        }
    }

    private static String accessToken(KubernetesClient client, String name) {
        var s = client.secrets()
                .inNamespace(NS)
                .withName(CollabLabels.accessSecretName(name))
                .get();
        return s == null || s.getData() == null || s.getData().get(CollabLabels.ACCESS_TOKEN_KEY) == null
                ? null
                : new String(
                        Base64.getDecoder().decode(s.getData().get(CollabLabels.ACCESS_TOKEN_KEY)),
                        StandardCharsets.UTF_8);
    }

    private static int status(String url, String token) {
        return status(url, token, Duration.ofSeconds(60));
    }

    private static int status(String url, String token, Duration timeout) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout);
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

    private static long percentile(List<Long> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    private static String authJson(String key) {
        return "{\"anthropic\":{\"type\":\"api\",\"key\":\"" + key + "\"}}";
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}

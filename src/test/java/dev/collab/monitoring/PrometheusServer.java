package dev.collab.monitoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Prometheus (Debian's package: /usr/bin/prometheus) for a test: its own data dir, loopback only, a one-second
 * scrape and evaluation interval, the project's rule file loaded. {@link #close} kills it.
 */
public final class PrometheusServer implements AutoCloseable {
    public static final Path BINARY = Path.of("/usr/bin/prometheus");
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final String url;
    private final Path data;

    /** Scrapes {@code target} (host:port) at {@code metricsPath} as job {@code job}; logs to {@code work}/prometheus.log. */
    public static PrometheusServer start(Path work, String job, String target, String metricsPath) throws Exception {
        Files.createDirectories(work);
        Path config = work.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                rule_files:
                  - %s
                scrape_configs:
                  - job_name: %s
                    metrics_path: %s
                    static_configs:
                      - targets: ["%s"]
                """.formatted(MonitoringFiles.RULES, job, metricsPath, target));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path data = Files.createTempDirectory("collab-prometheus-");
        Process p = new ProcessBuilder(
                        BINARY.toString(),
                        "--config.file=" + config,
                        "--storage.tsdb.path=" + data,
                        "--web.listen-address=127.0.0.1:" + port,
                        "--storage.tsdb.retention.time=1h")
                .redirectErrorStream(true)
                .redirectOutput(work.resolve("prometheus.log").toFile())
                .start();
        PrometheusServer server = new PrometheusServer(p, "http://127.0.0.1:" + port, data);
        try {
            Instant end = Instant.now().plusSeconds(30);
            while (!server.ready()) {
                if (!p.isAlive() || Instant.now().isAfter(end)) {
                    throw new AssertionError("prometheus did not start; see " + work.resolve("prometheus.log"));
                }
                Thread.sleep(200);
            }
        } catch (Throwable t) {
            server.close();
            throw t;
        }
        return server;
    }

    private PrometheusServer(Process process, String url, Path data) {
        this.process = process;
        this.url = url;
        this.data = data;
    }

    public String url() {
        return url;
    }

    private boolean ready() {
        try {
            return HTTP.send(
                                    HttpRequest.newBuilder(URI.create(url + "/-/ready"))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode()
                    == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** GET {@code path} of the HTTP API; fails unless status is "success". */
    public JsonNode api(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(URI.create(url + path))
                        .timeout(Duration.ofSeconds(30))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(r.body());
        if (r.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
            throw new AssertionError("prometheus " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return body.path("data");
    }

    /** An instant query's result vector (empty list: no series). */
    public List<JsonNode> query(String promql) throws Exception {
        JsonNode data = api("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        List<JsonNode> out = new ArrayList<>();
        data.path("result").forEach(out::add);
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
        try (Stream<Path> files = Files.walk(data)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temp dir left behind is no test failure
        }
    }
}

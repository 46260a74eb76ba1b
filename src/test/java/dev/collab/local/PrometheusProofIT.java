package dev.collab.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.SessionPhase;
import dev.collab.monitoring.MonitoringFiles;
import dev.collab.monitoring.PrometheusServer;
import dev.collab.testing.Tiers;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The monitoring on real data (issue 25): a real Prometheus (Debian's package) scrapes a running local mode (real
 * opencode; {@link FakeAnthropic} stands in for the provider behind the gateway) while one Gateway-mode session is
 * created, answers a prompt through the gateway, is stopped idle and woken by a request. Then every query of every
 * dashboard panel and every alert's metrics are checked through Prometheus's HTTP API, read from
 * deploy/monitoring itself: a new panel or alert is checked without a change here. Prometheus also evaluates the
 * rule file: every rule must evaluate without error, and no alert may fire on this healthy run.
 */
@RealLocalMode
class PrometheusProofIT {
    private static final String NS = LocalModeRun.NS;
    private static final Path WORK = Path.of("target/prometheus-proof");

    /**
     * Panel queries whose empty result this run intends, with the reason. A listed query that returns data fails the
     * test (remove it here then): the list stays true.
     */
    static final Map<String, String> EMPTY_PANELS = Map.ofEntries(
            Map.entry("Gateway upstream errors and refusals / A", "the fake provider never fails: no upstream error"),
            Map.entry("Warm claim and wakes / A", "no warm pool in this run: no claim, the quantile is NaN"),
            Map.entry("Rotations and cooldowns / A", "one account, never rate limited: no cooldown"),
            Map.entry("Relogin and OAuth refreshes / A", "API keys only: no refresh token to refuse"),
            Map.entry("Relogin and OAuth refreshes / B", "API keys only: no OAuth refresh"),
            Map.entry("Budget refusals / A", "no budget set: no budget refusal"),
            Map.entry("Budget refusals / B", "no egress through the gateway's proxy in this run"));

    /**
     * Metrics that alerts read but that are registered at their first event only (counters with an event label),
     * with why this run has none: for every other metric an alert names, Prometheus must hold series.
     */
    static final Map<String, String> LAZY_METRICS = Map.of(
            "collab_gateway_upstream_errors_total", "the fake provider never fails",
            "collab_gateway_account_cooldowns_total", "one account, never rate limited",
            "collab_gateway_oauth_refreshes_total", "API keys only",
            "collab_sessions_relogin_required", "API keys only: no session needs a relogin");

    private static FakeAnthropic anthropic;
    private static LocalModeRun app;
    private static PrometheusServer prometheus;

    @BeforeAll
    static void start() throws Exception {
        Tiers.assumeAvailable(
                Files.isExecutable(PrometheusServer.BINARY),
                PrometheusServer.BINARY + " is missing (Debian package prometheus; .ci/run installs it)");
        anthropic = new FakeAnthropic();
        app = LocalModeRun.start(
                WORK,
                Map.of(
                        "COLLAB_GATEWAY_UPSTREAM",
                        "http://127.0.0.1:" + anthropic.port() + "/provider",
                        "COLLAB_GATEWAY_USAGE_FLUSH_INTERVAL",
                        "1s"));
        String hostPort = URI.create(app.routerUrl()).getAuthority();
        prometheus = PrometheusServer.start(WORK, "collab-local", hostPort, "/q/metrics");
        // rate() needs the zeros before the run: drive nothing until Prometheus has scraped local mode once (on a
        // loaded machine its first scrape came after the only prompt, and the first-byte panel had no rate)
        LocalModeRun.await("Prometheus scraped local mode", () -> {
            try {
                return prometheus.query("up == 1").isEmpty() ? null : true;
            } catch (Exception e) {
                return null; // not answering yet
            }
        });
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (prometheus != null) {
                prometheus.close();
            }
        } finally {
            try {
                if (app != null) {
                    app.stop(List.of("alice"));
                }
            } finally {
                if (anthropic != null) {
                    anthropic.close();
                }
            }
        }
    }

    @Test
    void everyPanelAndAlertHasDataFromARealRun() throws Exception {
        drive();
        Thread.sleep(4000); // a few scrapes and rule evaluations after the last move
        Files.writeString(WORK.resolve("metrics.txt"), scrape()); // the real names, for a failed run's reader

        List<String> failures = new ArrayList<>();
        Set<String> unusedEmpties = new TreeSet<>(EMPTY_PANELS.keySet());
        for (MonitoringFiles.PanelQuery q : MonitoringFiles.panelQueries()) {
            List<JsonNode> result = numbers(prometheus.query(MonitoringFiles.resolve(q.expr())));
            boolean intendedEmpty = EMPTY_PANELS.containsKey(q.id());
            unusedEmpties.remove(q.id());
            if (result.isEmpty() && !intendedEmpty) {
                failures.add("panel " + q.id() + " returned no data: " + q.expr());
            } else if (!result.isEmpty() && intendedEmpty) {
                failures.add("panel " + q.id() + " is listed as intended empty (" + EMPTY_PANELS.get(q.id())
                        + ") but returned " + result + ": remove it from EMPTY_PANELS");
            }
        }
        unusedEmpties.forEach(id -> failures.add("EMPTY_PANELS names " + id + ", which is no panel query"));

        Set<String> known = new TreeSet<>();
        prometheus.api("/api/v1/label/__name__/values").forEach(n -> known.add(n.asText()));
        LAZY_METRICS.keySet().stream()
                .filter(known::contains)
                .forEach(m -> failures.add("LAZY_METRICS names " + m + ", which this run scraped: remove it there"));
        for (MonitoringFiles.Alert alert : MonitoringFiles.alerts()) {
            for (String metric : metricNames(alert.expr())) {
                if (!known.contains(metric) && !LAZY_METRICS.containsKey(metric)) {
                    failures.add("alert " + alert.name() + " reads " + metric + ", which Prometheus never scraped");
                }
            }
            List<JsonNode> firing = prometheus.query(alert.expr());
            if (!firing.isEmpty()) {
                failures.add("alert " + alert.name() + " would fire on this healthy run: " + firing);
            }
        }
        for (JsonNode group : prometheus.api("/api/v1/rules").path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                if (!"ok".equals(rule.path("health").asText())) {
                    failures.add("rule " + rule.path("name").asText() + " evaluates with " + rule.path("lastError"));
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));

        // the key series hold what the run did, not just zeros
        assertPositive("sum(collab_session_start_seconds_count{start=\"cold\"})", 2); // created, then woken
        assertPositive("sum(collab_router_wake_seconds_count{outcome=\"ready\"})", 1);
        assertPositive("sum(collab_evictions_total{reason=\"IdleTimeout\"})", 1);
        assertPositive("sum(collab_gateway_first_byte_seconds_count)", 1);
        String alice = CollabLabels.ownerLabelValue("alice@example.com"); // the label form, in every metric alike
        assertPositive(
                "sum(collab_gateway_tokens_total{owner=\"" + alice + "\",type=\"output\"})",
                FakeAnthropic.OUTPUT_TOKENS);
        assertPositive("sum(collab_sessions_by_owner{owner=\"" + alice + "\",phase=\"Running\"})", 1);
        assertPositive("sum(collab_operator_leader)", 1);
        picture();
    }

    /** Create alice (Gateway mode), prompt through the gateway, a forged placeholder, idle stop, wake by a request. */
    private static void drive() throws Exception {
        createSession("alice");
        String token = LocalModeRun.await("alice's access token", () -> app.accessToken("alice"));
        app.worker(LocalModeRun.await("alice Ready", () -> app.readyPid("alice")));
        app.prompt("alice", token);
        assertEquals(403, forgedPlaceholder(), "the gateway refuses a forged placeholder (refused{reason=unknown})");
        // no awaitConfigInstall: opencode's config-dir install needs the npm registry, which the gateway's egress
        // allowlist refuses here (an EgressDenied Event), so it ends at once instead of holding off SIGTERM

        app.client()
                .resources(CollabSession.class)
                .inNamespace(NS)
                .withName("alice")
                .edit(cs -> {
                    cs.getSpec().setIdleTimeout("2s");
                    return cs;
                });
        LocalModeRun.await("alice stopped idle", () -> phase("alice") == SessionPhase.Stopped ? true : null);
        app.client()
                .resources(CollabSession.class)
                .inNamespace(NS)
                .withName("alice")
                .edit(cs -> {
                    cs.getSpec().setIdleTimeout("30m");
                    return cs;
                });
        // a request for the stopped session wakes it and waits for its worker (the router's wake histogram)
        HttpResponse<String> woken = LocalModeRun.HTTP.send(
                HttpRequest.newBuilder(URI.create(app.routerUrl() + "/s/alice/session"))
                        .timeout(java.time.Duration.ofSeconds(90))
                        .header("Authorization", "Bearer " + token)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, woken.statusCode(), "the wake request: " + woken.body());
        app.worker(LocalModeRun.await("alice Ready again", () -> app.readyPid("alice")));
        LocalModeRun.await("alice Running again", () -> phase("alice") == SessionPhase.Running ? true : null);
        app.prompt("alice", token); // the woken session answers through the gateway: more than one request to rate
    }

    private static SessionPhase phase(String name) {
        CollabSession s = app.client()
                .resources(CollabSession.class)
                .inNamespace(NS)
                .withName(name)
                .get();
        return s == null || s.getStatus() == null ? null : s.getStatus().getPhase();
    }

    private static void createSession(String name) {
        String config = "{\"$schema\":\"https://opencode.ai/config.json\",\"autoupdate\":false,\"share\":\"disabled\"}";
        app.client()
                .secrets()
                .inNamespace(NS)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName(name + "-credentials")
                        .withNamespace(NS)
                        .withLabels(CollabLabels.credentialSecretLabels(name + "@example.com"))
                        .endMetadata()
                        .addToData("opencode.json", LocalModeRun.b64(config))
                        .addToData(
                                "auth.json",
                                LocalModeRun.b64("{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-" + name + "-prom\"}}"))
                        .build())
                .create();
        CollabSessionSpec spec = dev.collab.testing.Specs.offlineGateway(name + "@example.com", name + "-credentials");
        app.client()
                .resources(CollabSession.class)
                .inNamespace(NS)
                .resource(new CollabSession(NS, name, spec))
                .create();
    }

    private static int forgedPlaceholder() throws Exception {
        return LocalModeRun.HTTP
                .send(
                        HttpRequest.newBuilder(URI.create(app.routerUrl() + "/v1/messages"))
                                .header("x-api-key", dev.collab.api.Placeholders.PREFIX + "forged")
                                .header("anthropic-version", "2023-06-01")
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-sonnet-4-5\"}"))
                                .build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private static String scrape() throws Exception {
        return LocalModeRun.HTTP
                .send(
                        HttpRequest.newBuilder(URI.create(app.routerUrl() + "/q/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    /** The samples that hold a number: a NaN (a quantile of no events, a gauge whose object is gone) is no data. */
    private static List<JsonNode> numbers(List<JsonNode> result) {
        return result.stream()
                .filter(r -> !"NaN".equals(r.path("value").get(1).asText()))
                .toList();
    }

    private static void assertPositive(String promql, double atLeast) throws Exception {
        List<JsonNode> result = prometheus.query(promql);
        assertEquals(1, result.size(), promql + ": " + result);
        double value = Double.parseDouble(result.get(0).path("value").get(1).asText());
        assertTrue(value >= atLeast, promql + " = " + value + ", expected at least " + atLeast);
    }

    private static final Pattern METRIC = Pattern.compile("\\b(collab_[a-z_]+|up)\\b(?=\\s*[{\\[)])");

    /** The metric names an expression reads (collab_* and up): a name followed by a selector, range or paren. */
    static Set<String> metricNames(String expr) {
        Set<String> out = new LinkedHashSet<>();
        Matcher m = METRIC.matcher(expr);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /**
     * Prometheus's own graph page of the key series in headless chromium (tools/browser-test/prom-graph.mjs); kept
     * in target/, and copied to docs/images/ (the README's picture) with -Dcollab.it.update-picture=true.
     */
    private static void picture() throws Exception {
        List<String> exprs = List.of(
                "sum by (phase) (collab_sessions)",
                "histogram_quantile(0.9, sum by (le, start) (rate(collab_session_start_seconds_bucket[1m])))",
                "sum by (owner, type) (collab_gateway_tokens_total)",
                "sum by (class) (rate(collab_router_requests_total[1m]))");
        StringBuilder url = new StringBuilder(prometheus.url() + "/graph?");
        for (int i = 0; i < exprs.size(); i++) {
            url.append(i == 0 ? "" : "&")
                    .append("g")
                    .append(i)
                    .append(".expr=")
                    .append(URLEncoder.encode(exprs.get(i), StandardCharsets.UTF_8))
                    .append("&g")
                    .append(i)
                    .append(".tab=0&g")
                    .append(i)
                    .append(".range_input=1m");
        }
        Path png = WORK.resolve("prometheus-graph.png").toAbsolutePath();
        Path script = Path.of("tools/browser-test/prom-graph.mjs").toAbsolutePath();
        Process node = new ProcessBuilder("node", script.toString(), url.toString(), png.toString())
                .directory(script.getParent().toFile())
                .redirectErrorStream(true)
                .redirectOutput(WORK.resolve("prom-graph.log").toFile())
                .start();
        try {
            assertTrue(node.waitFor(90, TimeUnit.SECONDS), "the screenshot did not finish in 90 s");
        } finally {
            node.destroyForcibly();
        }
        assertEquals(0, node.exitValue(), "prom-graph.mjs failed: " + Files.readString(WORK.resolve("prom-graph.log")));
        assertTrue(Files.size(png) > 10_000, "a real screenshot");
        if (Boolean.getBoolean("collab.it.update-picture")) {
            Files.copy(png, Path.of("docs/images/monitoring-prometheus.png"), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}

package dev.collab.monitoring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The monitoring sources in deploy/monitoring (the chart embeds them): the Grafana dashboard's panel queries and the
 * alerting rules, read from the files themselves so that a new panel or alert is checked without a test change.
 */
public final class MonitoringFiles {
    public static final Path DIR = Path.of("deploy/monitoring").toAbsolutePath();
    public static final Path RULES = DIR.resolve("rules.yaml");
    public static final Path RULES_TEST = DIR.resolve("rules.test.yaml");
    public static final Path DASHBOARD = DIR.resolve("dashboard.json");

    /** One query of a dashboard panel: "panel title / refId". */
    public record PanelQuery(String panel, String refId, String expr) {
        public String id() {
            return panel + " / " + refId;
        }
    }

    public record Alert(String name, String expr, String severity, String runbookUrl) {}

    private MonitoringFiles() {}

    public static JsonNode dashboard() {
        return read(DASHBOARD, new ObjectMapper());
    }

    public static JsonNode rules() {
        return read(RULES, new ObjectMapper(new YAMLFactory()));
    }

    private static JsonNode read(Path file, ObjectMapper mapper) {
        try {
            return mapper.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every target of every panel, rows' nested panels included. */
    public static List<PanelQuery> panelQueries() {
        List<PanelQuery> out = new ArrayList<>();
        collect(dashboard().path("panels"), out);
        return out;
    }

    private static void collect(JsonNode panels, List<PanelQuery> out) {
        for (JsonNode panel : panels) {
            for (JsonNode target : panel.path("targets")) {
                out.add(new PanelQuery(
                        panel.path("title").asText(),
                        target.path("refId").asText(),
                        target.path("expr").asText()));
            }
            collect(panel.path("panels"), out);
        }
    }

    public static List<Alert> alerts() {
        List<Alert> out = new ArrayList<>();
        for (JsonNode group : rules().path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                if (rule.has("alert")) {
                    out.add(new Alert(
                            rule.path("alert").asText(),
                            rule.path("expr").asText(),
                            rule.path("labels").path("severity").asText(null),
                            rule.path("annotations").path("runbook_url").asText(null)));
                }
            }
        }
        return out;
    }

    /**
     * A dashboard query as Prometheus runs it: Grafana's variables replaced ($namespace: all namespaces,
     * $__rate_interval: one minute, which covers 4+ scrapes at the test's interval and Grafana's default alike).
     */
    public static String resolve(String expr) {
        return expr.replace("$__rate_interval", "1m").replace("$namespace", ".*");
    }
}

package dev.collab.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.collab.monitoring.MonitoringFiles;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The chart's monitoring objects (issue 25): off by default; when enabled, a PodMonitor for the operator and
 * ServiceMonitors for the router and the gateway that select the chart's own pods and Services on port http at
 * /q/metrics, a PrometheusRule whose groups are deploy/monitoring/rules.yaml's, and the dashboard ConfigMap with
 * Grafana's sidecar label holding deploy/monitoring/dashboard.json. The chart's monitoring/ is a link to
 * deploy/monitoring: one copy of each file.
 */
class ChartMonitoringTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static String renderEnabled() {
        return ChartTest.chart()
                .template()
                .withName("collab")
                .withNamespace(ChartTest.RELEASE_NAMESPACE)
                .set("monitoring.serviceMonitor.enabled", "true")
                .set("monitoring.serviceMonitor.labels.release", "kube-prometheus-stack")
                .set("monitoring.prometheusRule.enabled", "true")
                .set("monitoring.dashboard.enabled", "true")
                .call();
    }

    @Test
    void offByDefault() {
        List<HasMetadata> objects = ChartTest.render(null);
        assertTrue(
                objects.stream().noneMatch(o -> o.getApiVersion().startsWith("monitoring.coreos.com/")),
                "no Prometheus Operator object by default (its CRDs may not exist)");
        assertTrue(objects.stream()
                .noneMatch(o -> o.getMetadata().getLabels() != null
                        && o.getMetadata().getLabels().containsKey("grafana_dashboard")));
    }

    @Test
    void theChartEmbedsDeployMonitoringItself() throws Exception {
        Path link = Manifests.CHART.resolve("monitoring");
        assertTrue(Files.isSymbolicLink(link), "charts/.../monitoring links to deploy/monitoring (one copy)");
        assertEquals(MonitoringFiles.DIR.toRealPath(), link.toRealPath());
    }

    @Test
    void enabledMonitorsSelectTheChartsPodsAndServices() throws Exception {
        List<HasMetadata> objects = Manifests.parse(renderEnabled());
        GenericKubernetesResource podMonitor = generic(objects, "PodMonitor", "collab-operator");
        assertEndpoint(podMonitor, "podMetricsEndpoints");
        Deployment operator = Manifests.get(objects, Deployment.class, ChartTest.RELEASE_NAMESPACE, "collab-operator");
        assertSelects(podMonitor, operator.getSpec().getTemplate().getMetadata().getLabels());
        assertTrue(operator.getSpec().getTemplate().getSpec().getContainers().get(0).getPorts().stream()
                .anyMatch(p -> "http".equals(p.getName())));
        for (String name : List.of("collab-router", "collab-gateway")) {
            GenericKubernetesResource monitor = generic(objects, "ServiceMonitor", name);
            assertEndpoint(monitor, "endpoints");
            Service service = Manifests.get(objects, Service.class, ChartTest.RELEASE_NAMESPACE, name);
            assertSelects(monitor, service.getMetadata().getLabels());
            assertTrue(service.getSpec().getPorts().stream().anyMatch(p -> "http".equals(p.getName())), name);
            assertEquals(
                    "kube-prometheus-stack", monitor.getMetadata().getLabels().get("release"));
        }
    }

    @Test
    void ruleAndDashboardAreTheFilesOfDeployMonitoring() throws Exception {
        List<HasMetadata> objects = Manifests.parse(renderEnabled());
        GenericKubernetesResource rule = generic(objects, "PrometheusRule", "collab-session-operator");
        JsonNode groups =
                JSON.valueToTree(rule.getAdditionalProperties().get("spec")).path("groups");
        assertEquals(MonitoringFiles.rules().path("groups"), groups, "the PrometheusRule's groups are rules.yaml's");

        ConfigMap dashboard = Manifests.get(
                objects, ConfigMap.class, ChartTest.RELEASE_NAMESPACE, "collab-session-operator-dashboard");
        assertEquals("1", dashboard.getMetadata().getLabels().get("grafana_dashboard"));
        assertEquals(
                MonitoringFiles.dashboard(),
                JSON.readTree(dashboard.getData().get("collab-session-operator.json")),
                "the ConfigMap holds dashboard.json");
    }

    private static GenericKubernetesResource generic(List<HasMetadata> objects, String kind, String name) {
        return objects.stream()
                .filter(o ->
                        kind.equals(o.getKind()) && name.equals(o.getMetadata().getName()))
                .map(GenericKubernetesResource.class::cast)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    @SuppressWarnings("unchecked")
    private static void assertSelects(GenericKubernetesResource monitor, Map<String, String> labels) {
        Map<String, Object> spec =
                (Map<String, Object>) monitor.getAdditionalProperties().get("spec");
        Map<String, String> match =
                (Map<String, String>) ((Map<String, Object>) spec.get("selector")).get("matchLabels");
        assertTrue(!match.isEmpty() && labels.entrySet().containsAll(match.entrySet()), match + " vs " + labels);
    }

    @SuppressWarnings("unchecked")
    private static void assertEndpoint(GenericKubernetesResource monitor, String field) {
        Map<String, Object> spec =
                (Map<String, Object>) monitor.getAdditionalProperties().get("spec");
        Map<String, Object> endpoint = ((List<Map<String, Object>>) spec.get(field)).get(0);
        assertEquals("http", endpoint.get("port"));
        assertEquals("/q/metrics", endpoint.get("path"));
    }
}

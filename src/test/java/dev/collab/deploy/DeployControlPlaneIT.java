package dev.collab.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.collab.testing.CollabInstall;
import dev.collab.testing.ControlPlane;
import dev.collab.testing.ControlPlaneExtension;
import dev.collab.testing.Kubectl;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Helm chart (rendered in-process as {@link ChartTest} does) and the kustomize base {@code deploy/} on the
 * real API server: they pass {@code kubectl apply --dry-run=server}, then apply for real into namespaces that
 * enforce Pod Security "restricted", where the ReplicaSet controller's pods of the operator and router Deployments
 * are admitted (a real admission decision; no kubelet runs them).
 */
@ExtendWith(ControlPlaneExtension.class)
class DeployControlPlaneIT {
    static final String CHART_SYSTEM = "chart-system";
    static final String CHART_SESSIONS = "chart-sessions";

    @BeforeAll
    static void crd(ControlPlane plane) {
        CollabInstall.crd(plane);
    }

    @Test
    void kustomizeBaseAppliesIntoRestrictedNamespaces(ControlPlane plane) {
        Kubectl kubectl = plane.kubectl();
        // As for the chart below: the namespaces must exist for a server-side dry run; deploy/ labels them.
        plane.ensureNamespace("collab-system", java.util.Map.of());
        plane.ensureNamespace("collab", java.util.Map.of());
        String rendered = kubectl.run("kustomize", "deploy").orFail();
        assertDryRunThenApply(kubectl, rendered);
        assertThat(plane.admin()
                        .namespaces()
                        .withName("collab-system")
                        .get()
                        .getMetadata()
                        .getLabels())
                .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
        awaitAdmittedPods(plane, "collab-system", List.of("collab-operator", "collab-router"));
    }

    @Test
    void helmChartAppliesIntoRestrictedNamespaces(ControlPlane plane) {
        plane.ensureNamespace(CHART_SYSTEM, ControlPlane.restricted()); // helm install --create-namespace + label
        // A server-side dry run cannot create the namespace its objects go to; helm creates it first too. No labels:
        // the chart's own Namespace object must bring enforce=restricted.
        plane.ensureNamespace(CHART_SESSIONS, java.util.Map.of());
        String rendered = ChartTest.chart()
                .template()
                .withName("collab")
                .withNamespace(CHART_SYSTEM)
                .set("watchNamespaces[0]", CHART_SESSIONS)
                .call();
        assertDryRunThenApply(plane.kubectl(), rendered);
        assertThat(plane.admin()
                        .namespaces()
                        .withName(CHART_SESSIONS)
                        .get()
                        .getMetadata()
                        .getLabels())
                .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
        awaitAdmittedPods(plane, CHART_SYSTEM, List.of("collab-operator", "collab-router"));
    }

    /**
     * The chart's monitoring objects (PodMonitor, ServiceMonitors, PrometheusRule, dashboard ConfigMap) on the real API
     * server. Its Prometheus Operator CRDs are minimal stand-ins (src/test/resources/deploy/monitoring-crds.yaml: the
     * fields the chart sets, typed as upstream, nothing else accepted), so the dry run checks the objects' shape and
     * types against the API server's strict field validation, not every rule of the upstream schemas.
     */
    @Test
    void helmChartMonitoringObjectsApply(ControlPlane plane) {
        Kubectl kubectl = plane.kubectl();
        kubectl.run(
                        "apply",
                        "--server-side",
                        "-f",
                        java.nio.file.Path.of("src/test/resources/deploy/monitoring-crds.yaml")
                                .toAbsolutePath()
                                .toString())
                .orFail();
        kubectl.run(
                        "wait",
                        "--for=condition=Established",
                        "--timeout=60s",
                        "crd/servicemonitors.monitoring.coreos.com",
                        "crd/podmonitors.monitoring.coreos.com",
                        "crd/prometheusrules.monitoring.coreos.com")
                .orFail();
        plane.ensureNamespace(CHART_SYSTEM, ControlPlane.restricted());
        plane.ensureNamespace(CHART_SESSIONS, java.util.Map.of());
        // the stand-ins refuse what upstream refuses: a misspelt field, a malformed duration
        for (String bad : List.of("podMetricEndpoints: [{port: http}]", "podMetricsEndpoints: [{interval: soon}]")) {
            Kubectl.Result refused = kubectl.runWithInput(
                    "{apiVersion: monitoring.coreos.com/v1, kind: PodMonitor, metadata: {name: bad, namespace: "
                            + CHART_SYSTEM + "}, spec: {" + bad + "}}",
                    "apply",
                    "--dry-run=server",
                    "--server-side",
                    "--field-manager=collab-deploy-test",
                    "-f",
                    "-");
            assertThat(refused.ok()).as("the API server refuses %s", bad).isFalse();
        }
        String rendered = ChartTest.chart()
                .template()
                .withName("collab")
                .withNamespace(CHART_SYSTEM)
                .set("watchNamespaces[0]", CHART_SESSIONS)
                .set("monitoring.serviceMonitor.enabled", "true")
                .set("monitoring.prometheusRule.enabled", "true")
                .set("monitoring.dashboard.enabled", "true")
                .call();
        assertDryRunThenApply(kubectl, rendered);
        for (String object : List.of(
                "podmonitor/collab-operator",
                "servicemonitor/collab-router",
                "servicemonitor/collab-gateway",
                "prometheusrule/collab-session-operator",
                "configmap/collab-session-operator-dashboard")) {
            kubectl.run("get", "-n", CHART_SYSTEM, object).orFail();
        }
        assertThat(kubectl.run(
                                "get",
                                "-n",
                                CHART_SYSTEM,
                                "prometheusrule/collab-session-operator",
                                "-o",
                                "jsonpath={.spec.groups[*].rules[*].alert}")
                        .orFail())
                .as("the stored rule keeps every alert")
                .contains("CollabOperatorNoLeader", "CollabGateway429Storm", "CollabTargetDown");
    }

    static void assertDryRunThenApply(Kubectl kubectl, String manifests) {
        for (String dryRun : List.of("--dry-run=server", "--dry-run=none")) {
            // --force-conflicts: the CRD was applied before by another field manager (DEPLOYMENT.md, Upgrade).
            Kubectl.Result result = kubectl.runWithInput(
                    manifests,
                    "apply",
                    dryRun,
                    "--server-side",
                    "--force-conflicts",
                    "--field-manager=collab-deploy-test",
                    "-f",
                    "-");
            result.orFail();
            assertThat(result.err()).as("apply %s warnings", dryRun).doesNotContain("Warning");
        }
    }

    /** The Deployments' ReplicaSets created their pods: Pod Security admission let them in. */
    static void awaitAdmittedPods(ControlPlane plane, String namespace, List<String> apps) {
        for (String app : apps) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                var replicaSets = plane.admin()
                        .apps()
                        .replicaSets()
                        .inNamespace(namespace)
                        .withLabel("app.kubernetes.io/name", app)
                        .list()
                        .getItems();
                assertThat(replicaSets).as("ReplicaSets of %s", app).isNotEmpty();
                assertThat(replicaSets.get(0).getStatus().getConditions())
                        .as("FailedCreate = pod rejected")
                        .noneMatch(c -> "ReplicaFailure".equals(c.getType()));
                assertThat(plane.admin()
                                .pods()
                                .inNamespace(namespace)
                                .withLabel("app.kubernetes.io/name", app)
                                .list()
                                .getItems())
                        .as("admitted pods of %s", app)
                        .isNotEmpty();
            });
        }
    }
}

package dev.collab.bench;

import dev.collab.local.controlplane.ControlPlaneBinaries;
import dev.collab.testing.AuditLog;
import dev.collab.testing.CollabInstall;
import dev.collab.testing.ControlPlane;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The real control plane (etcd, kube-apiserver with RBAC, PodSecurity and an audit log, kube-controller-manager)
 * from tools/control-plane, installed as deploy/ ships it. The operator runs as its ServiceAccount (TokenRequest);
 * its requests are counted from the audit log, which records every request of a ServiceAccount.
 */
final class RealScaleApi implements ScaleApi {
    private static final String SYSTEM_NS = "collab-system";
    private static final String OPERATOR = AuditLog.serviceAccount(SYSTEM_NS, "collab-operator");
    private static final Map<String, String> VERBS = Map.of(
            "create", "POST", "update", "PUT", "patch", "PATCH", "delete", "DELETE", "get", "GET", "list", "LIST",
            "watch", "WATCH");

    private final ControlPlane plane;

    RealScaleApi() {
        ControlPlaneBinaries binaries = ControlPlaneBinaries.find()
                .orElseThrow(
                        () -> new IllegalStateException(
                                "no control plane binaries: run tools/control-plane/build.sh (or set COLLAB_CONTROL_PLANE_BIN)"));
        plane = ControlPlane.start(binaries);
        CollabInstall.deployRbac(plane);
    }

    @Override
    public String label() {
        return "real";
    }

    @Override
    public KubernetesClient client() {
        return plane.admin();
    }

    @Override
    public List<String> operatorFlags() {
        return List.of(
                "-Dquarkus.kubernetes-client.api-server-url=" + plane.url(),
                "-Dquarkus.kubernetes-client.ca-cert-file=" + plane.caCert(),
                "-Dquarkus.kubernetes-client.token=" + plane.token(SYSTEM_NS, "collab-operator"),
                "-Dquarkus.kubernetes-client.namespace=" + SYSTEM_NS,
                "-Dcollab.session.service-account-name=collab-session");
    }

    @Override
    public Map<String, String> operatorEnv() {
        return Map.of("HOSTNAME", "operator-bench", "KUBECONFIG", "/dev/null");
    }

    @Override
    public Map<String, Long> snapshot() {
        Map<String, Long> counts = new TreeMap<>();
        for (AuditLog.Event e : plane.auditLog().events()) {
            if (e.by(OPERATOR) && VERBS.containsKey(e.verb())) {
                String kind = e.subresource().isEmpty() ? e.resource() : e.resource() + "/" + e.subresource();
                counts.merge("operator " + VERBS.get(e.verb()) + " " + kind, 1L, Long::sum);
            }
        }
        return counts;
    }

    /** Flags of the Go reference controller (bench/operator-scale/reference): this API server, the Lease's namespace. */
    List<String> referenceFlags() {
        return List.of("--server=" + plane.url(), "--ca-file=" + plane.caCert(), "--lease-namespace=" + SYSTEM_NS);
    }

    /** Its environment: the operator's ServiceAccount token, so it has the operator's RBAC and audit-log identity. */
    Map<String, String> referenceEnv() {
        return Map.of("COLLAB_REFERENCE_TOKEN", plane.token(SYSTEM_NS, "collab-operator"));
    }

    /** Requests of the operator's ServiceAccount by User-Agent product (the part before the first '/'). */
    Map<String, Long> userAgents() {
        Map<String, Long> counts = new TreeMap<>();
        for (AuditLog.Event e : plane.auditLog().events()) {
            if (e.by(OPERATOR)) {
                counts.merge(e.userAgent().split("/", 2)[0], 1L, Long::sum);
            }
        }
        return counts;
    }

    @Override
    public double serverCpuSeconds() {
        return ProcessHandle.current()
                .descendants()
                .filter(p -> p.info()
                        .command()
                        .map(c -> c.endsWith("/etcd") || c.endsWith("/kube-apiserver"))
                        .orElse(false))
                .mapToDouble(p -> ProcessCpu.seconds(p.pid()))
                .sum();
    }

    @Override
    public boolean real() {
        return true;
    }

    @Override
    public void close() {
        plane.close();
    }
}

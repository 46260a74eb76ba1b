package dev.collab.testing;

import java.nio.file.Path;

/** Installs parts of the project's own manifests on a control plane, with server-side apply, as a person would. */
public final class CollabInstall {
    public static final Path CRD = Path.of("crds/collabsessions.collab.dev-v1.yml");
    public static final String CRD_NAME = "collabsessions.collab.dev";
    /** The operator watches pools too: without this CRD its pool informer cannot start. */
    public static final Path POOL_CRD = Path.of("crds/collabsessionpools.collab.dev-v1.yml");

    public static final String POOL_CRD_NAME = "collabsessionpools.collab.dev";

    private CollabInstall() {}

    /**
     * The per-shard Lease rule of the chart's leader-election Role for operator.shards=count (deploy/ names only the
     * unsharded Lease); shared by ShardingControlPlaneIT and bench/operator-scale's ShardScaleBench.
     */
    public static void grantShardLeases(io.fabric8.kubernetes.client.KubernetesClient admin, int count) {
        java.util.List<String> leases = java.util.stream.IntStream.range(0, count)
                .mapToObj(k -> dev.collab.config.OperatorShard.of(k, count).leaseName())
                .toList();
        admin.resource(new io.fabric8.kubernetes.api.model.rbac.RoleBuilder()
                        .withNewMetadata()
                        .withName("collab-operator-shard-leases")
                        .withNamespace("collab-system")
                        .endMetadata()
                        .addNewRule()
                        .withApiGroups("coordination.k8s.io")
                        .withResources("leases")
                        .withResourceNames(leases)
                        .withVerbs("get", "update", "patch")
                        .endRule()
                        .build())
                .createOr(r -> r.update());
        admin.resource(new io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder()
                        .withNewMetadata()
                        .withName("collab-operator-shard-leases")
                        .withNamespace("collab-system")
                        .endMetadata()
                        .withNewRoleRef("rbac.authorization.k8s.io", "Role", "collab-operator-shard-leases")
                        .addNewSubject()
                        .withKind("ServiceAccount")
                        .withName("collab-operator")
                        .withNamespace("collab-system")
                        .endSubject()
                        .build())
                .createOr(r -> r.update());
    }

    /**
     * Applies the committed CRDs (sessions and pools, idempotent) and waits until the API server serves them.
     * Returns kubectl's output for the CollabSession CRD.
     */
    public static String crd(ControlPlane plane) {
        String applied = apply(plane, CRD);
        apply(plane, POOL_CRD);
        plane.kubectl()
                .run("wait", "--for=condition=Established", "--timeout=60s", "crd/" + CRD_NAME, "crd/" + POOL_CRD_NAME)
                .orFail();
        return applied;
    }

    /**
     * The CRD plus, from {@code deploy/}: the namespaces collab-system and collab (Pod Security "restricted"), the
     * operator's, router's and gateway's ServiceAccounts and RBAC, and the session ServiceAccount. Exactly what
     * deploy/ ships.
     */
    public static void deployRbac(ControlPlane plane) {
        crd(plane);
        for (String file : new String[] {
            "namespaces.yaml",
            "operator-rbac.yaml",
            "router-rbac.yaml",
            "gateway-rbac.yaml",
            "session-serviceaccount.yaml"
        }) {
            apply(plane, Path.of("deploy", file));
        }
    }

    private static String apply(ControlPlane plane, Path file) {
        return plane.kubectl()
                .run(
                        "apply",
                        "--server-side",
                        "--force-conflicts",
                        "--field-manager=collab-test",
                        "-f",
                        file.toString())
                .orFail();
    }
}

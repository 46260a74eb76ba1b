package dev.collab.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.collab.deploy.DeployInvariants.Expectation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The kustomize base under deploy/, read file by file as kustomize would assemble it: the base uses
 * no transformers (checked here), so the files are exactly what `kubectl apply -k deploy/` applies.
 */
class KustomizeBaseTest {
    static final Set<String> PLAIN_KUSTOMIZATION_KEYS = Set.of("apiVersion", "kind", "resources");
    static final Set<String> CLUSTER_SCOPED = Set.of(
            "Namespace",
            "CustomResourceDefinition",
            "ClusterRole",
            "ClusterRoleBinding",
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding");

    /** The objects of a kustomization: its resources, files or directories with their own kustomization. */
    static List<HasMetadata> build(Path dir) {
        Path file = dir.resolve("kustomization.yaml");
        assertTrue(Files.isRegularFile(file), "no kustomization.yaml in " + dir);
        Map<String, Object> kustomization = Manifests.yamlMap(file);
        assertTrue(
                PLAIN_KUSTOMIZATION_KEYS.containsAll(kustomization.keySet()),
                file + " uses more than resources (the tests read files as they are): " + kustomization.keySet());
        List<HasMetadata> objects = new ArrayList<>();
        @SuppressWarnings("unchecked")
        List<String> resources = (List<String>) kustomization.get("resources");
        for (String resource : resources) {
            Path path = dir.resolve(resource).normalize();
            if (Files.isDirectory(path)) {
                objects.addAll(build(path));
            } else {
                assertTrue(path.startsWith(dir), resource + ": kustomize loads files only at or below " + dir);
                objects.addAll(Manifests.parse(Manifests.read(path)));
            }
        }
        return objects;
    }

    static List<HasMetadata> base() {
        return build(Manifests.DEPLOY);
    }

    @Test
    void baseHoldsTheInvariants() {
        List<HasMetadata> objects = base();
        DeployInvariants.assertAll(
                objects,
                new Expectation(
                        "collab-system",
                        List.of("collab"),
                        4096,
                        "collab-session-operator",
                        "collab-router-admin",
                        true,
                        true,
                        2,
                        2));
        DeployInvariants.assertRestrictedNamespace(objects, "collab-system");
        DeployInvariants.assertRestrictedNamespace(objects, "collab");
        for (String name : DeployInvariants.CONTROL_PLANE) {
            assertTrue(
                    DeployInvariants.egressPorts(Manifests.get(objects, NetworkPolicy.class, "collab-system", name))
                            .containsAll(name.equals(DeployInvariants.GATEWAY) ? Set.of(6443) : Set.of(443, 6443)),
                    name + ": API server on 443 and 6443 (the gateway: 6443, see deploy/networkpolicies.yaml)");
        }
        assertTrue(
                Manifests.all(objects, ClusterRole.class).isEmpty()
                        && Manifests.all(objects, ClusterRoleBinding.class).isEmpty(),
                "one watched namespace: no cluster-scoped rights");
    }

    /** Without a `namespace:` transformer every namespaced object must name its namespace itself. */
    @Test
    void everyNamespacedObjectNamesItsNamespace() {
        for (HasMetadata o : base()) {
            if (!CLUSTER_SCOPED.contains(o.getKind())) {
                assertNotNull(
                        o.getMetadata().getNamespace(),
                        o.getKind() + " " + o.getMetadata().getName() + " has no namespace");
            }
        }
    }

    @Test
    void includesTheCommittedCrd() {
        List<CustomResourceDefinition> crds = Manifests.all(base(), CustomResourceDefinition.class);
        assertEquals(
                List.of("collabsessions.collab.dev", "collabsessionpools.collab.dev"),
                crds.stream().map(c -> c.getMetadata().getName()).toList());
        List<HasMetadata> committed = new java.util.ArrayList<>();
        committed.addAll(Manifests.parse(Manifests.read(Manifests.CRDS.resolve("collabsessions.collab.dev-v1.yml"))));
        committed.addAll(
                Manifests.parse(Manifests.read(Manifests.CRDS.resolve("collabsessionpools.collab.dev-v1.yml"))));
        assertEquals(committed, List.copyOf(crds));
    }

    /** Both install paths grant the same rights and configure the processes alike (chart defaults). */
    @Test
    void baseAndChartDefaultsAgree() {
        List<HasMetadata> base = base();
        List<HasMetadata> chart = ChartTest.render(null);
        for (String sa : List.of("collab-operator", "collab-router", "collab-gateway", "collab-session")) {
            assertEquals(
                    DeployInvariants.grants(base, sa, null), DeployInvariants.grants(chart, sa, null), sa + " RBAC");
        }
        for (String name : DeployInvariants.CONTROL_PLANE) {
            assertEquals(
                    DeployInvariants.env(DeployInvariants.container(chart, "collab-system", name)),
                    DeployInvariants.env(DeployInvariants.container(base, "collab-system", name)),
                    name + " env");
            assertEquals(
                    DeployInvariants.container(chart, "collab-system", name).getSecurityContext(),
                    DeployInvariants.container(base, "collab-system", name).getSecurityContext(),
                    name + " securityContext");
        }
        for (String[] policy : new String[][] {
            {"collab", "collab-session"},
            {"collab", "collab-session-gateway"},
            {"collab-system", "collab-operator"},
            {"collab-system", "collab-router"},
            {"collab-system", "collab-gateway"}
        }) {
            assertEquals(
                    Manifests.get(chart, NetworkPolicy.class, policy[0], policy[1])
                            .getSpec(),
                    Manifests.get(base, NetworkPolicy.class, policy[0], policy[1])
                            .getSpec(),
                    policy[1] + " NetworkPolicy");
        }
        assertEquals(
                Manifests.get(chart, ValidatingAdmissionPolicy.class, null, DeployInvariants.CHILDREN_POLICY)
                        .getSpec(),
                Manifests.get(base, ValidatingAdmissionPolicy.class, null, DeployInvariants.CHILDREN_POLICY)
                        .getSpec(),
                "children policy");
        assertEquals(
                Manifests.get(chart, ValidatingAdmissionPolicy.class, null, DeployInvariants.OWNER_POLICY)
                        .getSpec(),
                Manifests.get(base, ValidatingAdmissionPolicy.class, null, DeployInvariants.OWNER_POLICY)
                        .getSpec(),
                "owner policy");
        assertEquals(
                Manifests.get(chart, ValidatingAdmissionPolicyBinding.class, null, DeployInvariants.OWNER_POLICY)
                        .getSpec(),
                Manifests.get(base, ValidatingAdmissionPolicyBinding.class, null, DeployInvariants.OWNER_POLICY)
                        .getSpec(),
                "owner policy binding");
        Namespace sessions = Manifests.get(chart, Namespace.class, null, "collab");
        assertEquals(
                sessions.getMetadata().getLabels().get("pod-security.kubernetes.io/enforce"),
                Manifests.get(base, Namespace.class, null, "collab")
                        .getMetadata()
                        .getLabels()
                        .get("pod-security.kubernetes.io/enforce"));
    }
}

package dev.collab.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import dev.collab.deploy.DeployInvariants.Expectation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The Helm chart, rendered in-process with helm-java (no helm binary). */
class ChartTest {
    static final String RELEASE_NAMESPACE = "collab-system";
    static final Path VALUES = Path.of("src/test/resources/deploy");

    static Helm chart() {
        return new Helm(Manifests.CHART);
    }

    static List<HasMetadata> render(Path valuesFile) {
        var template = chart().template().withName("collab").withNamespace(RELEASE_NAMESPACE);
        if (valuesFile != null) {
            template = template.withValuesFile(valuesFile.toAbsolutePath());
        }
        return Manifests.parse(template.call());
    }

    @Test
    void lintPasses() {
        LintResult result = chart().lint().strict().call();
        assertFalse(result.isFailed(), "helm lint: " + result.getMessages());
        assertTrue(
                result.getMessages().stream().noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]")),
                "helm lint: " + result.getMessages());
    }

    @Test
    void defaultValuesRenderTheInvariants() {
        List<HasMetadata> objects = render(null);
        DeployInvariants.assertAll(
                objects,
                new Expectation(
                        RELEASE_NAMESPACE,
                        List.of("collab"),
                        4096,
                        "collab-session-operator",
                        "collab-router-admin",
                        false,
                        true,
                        2,
                        2));
        DeployInvariants.assertRestrictedNamespace(objects, "collab");
        assertEquals(
                "keep",
                Manifests.get(objects, Namespace.class, null, "collab")
                        .getMetadata()
                        .getAnnotations()
                        .get("helm.sh/resource-policy"),
                "helm uninstall must not delete the sessions' namespace");
        assertTrue(Manifests.all(objects, Ingress.class).isEmpty(), "ingress is opt-in");
        for (String name : List.of("collab-operator", "collab-router")) {
            assertTrue(
                    DeployInvariants.egressPorts(Manifests.get(objects, NetworkPolicy.class, RELEASE_NAMESPACE, name))
                            .containsAll(Set.of(443, 6443)),
                    name + ": API server on 443 and 6443 by default");
        }

        // Defaults agree with CollabConfig (one source of truth for the numbers).
        Map<String, String> props = Manifests.collabDefaults();
        Map<String, String> operatorEnv =
                DeployInvariants.env(DeployInvariants.container(objects, RELEASE_NAMESPACE, "collab-operator"));
        Map<String, String> routerEnv =
                DeployInvariants.env(DeployInvariants.container(objects, RELEASE_NAMESPACE, "collab-router"));
        assertEquals(props.get("collab.session.image"), operatorEnv.get("COLLAB_SESSION_IMAGE"));
        assertEquals(props.get("collab.session.idle-timeout"), operatorEnv.get("COLLAB_SESSION_IDLE_TIMEOUT"));
        assertEquals(props.get("collab.session.storage-size"), operatorEnv.get("COLLAB_SESSION_STORAGE_SIZE"));
        assertEquals(props.get("collab.max-running"), operatorEnv.get("COLLAB_MAX_RUNNING"));
        assertEquals(props.get("collab.router.wake-wait"), routerEnv.get("COLLAB_ROUTER_WAKE_WAIT"));
        assertEquals(props.get("collab.router.admin-token-secret"), routerEnv.get("COLLAB_ROUTER_ADMIN_TOKEN_SECRET"));
        assertEquals(props.get("collab.router.max-body"), routerEnv.get("COLLAB_ROUTER_MAX_BODY"));
        assertEquals("512Mi", operatorEnv.get("COLLAB_SESSION_RESOURCES_REQUESTS_MEMORY"));
        assertEquals("1Gi", operatorEnv.get("COLLAB_SESSION_RESOURCES_LIMITS_MEMORY"));
        assertNull(operatorEnv.get("COLLAB_SESSION_STORAGE_CLASS"), "empty class = cluster default, key left unset");
    }

    @Test
    void customValuesRenderTheInvariants() {
        List<HasMetadata> objects = render(VALUES.resolve("values-custom.yaml"));
        DeployInvariants.assertAll(
                objects,
                new Expectation(
                        RELEASE_NAMESPACE,
                        List.of("team-a", "team-b"),
                        4096,
                        "collab-session-operator",
                        "collab-admin-from-vault",
                        false,
                        false,
                        3,
                        4));
        assertTrue(Manifests.all(objects, Namespace.class).isEmpty(), "createWatchNamespaces=false");
        assertTrue(Manifests.all(objects, Secret.class).isEmpty(), "admin Secret supplied outside the chart");

        Map<String, String> operatorEnv =
                DeployInvariants.env(DeployInvariants.container(objects, RELEASE_NAMESPACE, "collab-operator"));
        assertEquals("registry.example.com/platform/collab-session:1.18.33", operatorEnv.get("COLLAB_SESSION_IMAGE"));
        assertEquals("2h", operatorEnv.get("COLLAB_SESSION_IDLE_TIMEOUT"));
        assertEquals("fast-ssd", operatorEnv.get("COLLAB_SESSION_STORAGE_CLASS"));
        assertEquals("5Gi", operatorEnv.get("COLLAB_SESSION_STORAGE_SIZE"));
        assertEquals("2", operatorEnv.get("COLLAB_SESSION_RESOURCES_LIMITS_CPU"));
        assertEquals("768Mi", operatorEnv.get("COLLAB_SESSION_RESOURCES_REQUESTS_MEMORY"));
        assertEquals("40", operatorEnv.get("COLLAB_MAX_RUNNING"));
        assertEquals("2", operatorEnv.get("COLLAB_MAX_RUNNING_PER_OWNER"));
        assertEquals("-XX:MaxRAMPercentage=70 -XX:+UseSerialGC", operatorEnv.get("JDK_JAVA_OPTIONS"));
        assertEquals(
                "registry.example.com/platform/collab-session-operator:1.2.3",
                DeployInvariants.container(objects, RELEASE_NAMESPACE, "collab-operator")
                        .getImage());
        Map<String, String> routerEnv =
                DeployInvariants.env(DeployInvariants.container(objects, RELEASE_NAMESPACE, "collab-router"));
        assertEquals("45s", routerEnv.get("COLLAB_ROUTER_WAKE_WAIT"));
        assertEquals("20M", routerEnv.get("COLLAB_ROUTER_MAX_BODY"));

        Ingress ingress = Manifests.get(objects, Ingress.class, RELEASE_NAMESPACE, "collab-router");
        assertEquals("nginx", ingress.getSpec().getIngressClassName());
        assertEquals(
                "collab-router",
                ingress.getSpec()
                        .getRules()
                        .get(0)
                        .getHttp()
                        .getPaths()
                        .get(0)
                        .getBackend()
                        .getService()
                        .getName());
        assertEquals(
                List.of("collab.internal.example.com", "*.sessions.internal.example.com"),
                ingress.getSpec().getRules().stream().map(r -> r.getHost()).toList(),
                "wildcard rule for host-based routing");
        assertEquals(
                "collab-router",
                ingress.getSpec()
                        .getRules()
                        .get(1)
                        .getHttp()
                        .getPaths()
                        .get(0)
                        .getBackend()
                        .getService()
                        .getName());
        assertEquals("sessions.internal.example.com", routerEnv.get("COLLAB_ROUTER_SESSION_DOMAIN"));
        assertEquals(
                "https://portal.internal.example.com,https://wiki.internal.example.com",
                routerEnv.get("COLLAB_ROUTER_ALLOWED_ORIGINS"));
        // API server egress narrowed to the listed address.
        NetworkPolicy router = Manifests.get(objects, NetworkPolicy.class, RELEASE_NAMESPACE, "collab-router");
        assertTrue(router.getSpec().getEgress().stream()
                .anyMatch(r -> r.getTo() != null
                        && r.getTo().stream()
                                .anyMatch(p -> p.getIpBlock() != null
                                        && "203.0.113.10/32"
                                                .equals(p.getIpBlock().getCidr()))));
        // account logins: the provider's token endpoint stays reachable on 443, the private ranges never
        assertTrue(
                router.getSpec().getEgress().stream()
                        .anyMatch(r -> r.getPorts() != null
                                && r.getPorts().size() == 1
                                && r.getPorts().get(0).getPort().getIntVal() == 443
                                && r.getTo().stream()
                                        .anyMatch(p -> p.getIpBlock() != null
                                                && "0.0.0.0/0"
                                                        .equals(p.getIpBlock().getCidr())
                                                && p.getIpBlock().getExcept().contains("10.0.0.0/8"))),
                "router egress to the OAuth token endpoint: " + router.getSpec().getEgress());
    }

    @Test
    void allNamespacesUseClusterRoles() {
        List<HasMetadata> objects = render(VALUES.resolve("values-all-namespaces.yaml"));
        DeployInvariants.assertAll(
                objects,
                new Expectation(
                        RELEASE_NAMESPACE,
                        List.of(),
                        4096,
                        "collab-session-operator",
                        "collab-router-admin",
                        false,
                        true,
                        2,
                        2));
        Map<String, String> operatorEnv =
                DeployInvariants.env(DeployInvariants.container(objects, RELEASE_NAMESPACE, "collab-operator"));
        assertNull(operatorEnv.get("COLLAB_NAMESPACES"), "unset = all namespaces");
        assertNull(
                operatorEnv.get("COLLAB_SESSION_SERVICE_ACCOUNT_NAME"),
                "no session SA can be created in every namespace");
    }

    /**
     * Without a value the admin Secret is a random pre-install hook (helm-java's template output leaves
     * hooks out, so it is checked in the template source); with a value it is an ordinary object.
     */
    @Test
    void adminTokenSecret() {
        List<HasMetadata> objects = Manifests.parse(chart().template()
                .withName("collab")
                .withNamespace(RELEASE_NAMESPACE)
                .set("router.adminToken.value", "s3cret-admin-token")
                .call());
        Secret admin = Manifests.get(objects, Secret.class, RELEASE_NAMESPACE, "collab-router-admin");
        assertEquals(
                "s3cret-admin-token",
                new String(Base64.getDecoder().decode(admin.getData().get("token"))));
        assertFalse(
                admin.getMetadata().getAnnotations().containsKey("helm.sh/hook"),
                "a given token is an ordinary release object");

        String source = Manifests.read(Manifests.CHART.resolve("templates/router-admin-secret.yaml"));
        assertTrue(
                source.contains("helm.sh/hook: pre-install")
                        && source.contains("randAlphaNum 43")
                        && source.contains("helm.sh/resource-policy: keep"),
                "random token: made once at install, kept");
        assertFalse(source.contains("lookup \""), "lookup needs a cluster while rendering (GitOps, tests)");
    }

    /** Issue 30 item 3: the owner policy lists the configured creators as CEL strings, and can be left out. */
    @Test
    void ownerPolicyListsItsCreatorsAndCanBeTurnedOff() {
        List<HasMetadata> objects = Manifests.parse(chart().template()
                .withName("collab")
                .withNamespace(RELEASE_NAMESPACE)
                .set("ownerPolicy.creatorGroups[0]", "collab:session-creators")
                .set("ownerPolicy.creatorUsers[0]", "system:serviceaccount:collab-app:collab-app")
                .set("ownerPolicy.creatorUsers[1]", "o'brien")
                .call());
        var policy = Manifests.get(
                objects,
                io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy.class,
                null,
                DeployInvariants.OWNER_POLICY);
        Map<String, String> variables = new java.util.HashMap<>();
        policy.getSpec().getVariables().forEach(v -> variables.put(v.getName(), v.getExpression()));
        assertEquals("['collab:session-creators']", variables.get("creatorGroups"));
        assertEquals("['system:serviceaccount:collab-app:collab-app', 'o\\'brien']", variables.get("creatorUsers"));

        List<HasMetadata> off = Manifests.parse(chart().template()
                .withName("collab")
                .withNamespace(RELEASE_NAMESPACE)
                .set("ownerPolicy.enabled", false)
                .call());
        assertTrue(
                off.stream().noneMatch(o -> o.getKind().startsWith("ValidatingAdmissionPolicy")),
                "ownerPolicy.enabled=false renders no policy");
    }

    @Test
    void schemaRejectsBadValues() {
        Map<String, Object> bad = Map.of(
                "session.idleTimeout", "soon",
                "router.replicas", 0,
                "watchNamespaces[0]", "Not_A_Namespace",
                "caps.maxRunning", -1,
                "notAValue", "x");
        bad.forEach((key, value) -> {
            Exception e = assertThrows(
                    Exception.class,
                    () -> chart().template()
                            .withName("collab")
                            .withNamespace(RELEASE_NAMESPACE)
                            .set(key, value)
                            .call(),
                    "values.schema.json accepted " + key + "=" + value);
            assertTrue(
                    e.getMessage() != null && e.getMessage().toLowerCase().contains("schema"),
                    key + ": not a schema failure: " + e.getMessage());
        });
        // A good override still renders: the rejection is about the value, not about --set.
        chart().template()
                .withName("collab")
                .withNamespace(RELEASE_NAMESPACE)
                .set("session.idleTimeout", "1h30m")
                .call();
    }

    @Test
    void chartCrdsAreIdenticalToCrds() throws IOException {
        Set<String> committed = yamlFiles(Manifests.CRDS);
        Set<String> inChart = yamlFiles(Manifests.CHART.resolve("crds"));
        assertFalse(committed.isEmpty(), "no CRD under crds/");
        assertEquals(committed, inChart, "charts/collab-session-operator/crds/ holds exactly the files of crds/");
        for (String file : committed) {
            assertEquals(
                    -1L,
                    Files.mismatch(
                            Manifests.CRDS.resolve(file),
                            Manifests.CHART.resolve("crds").resolve(file)),
                    file + " differs between crds/ and the chart: cp crds/" + file
                            + " charts/collab-session-operator/crds/");
        }
    }

    /** CRD files of a folder (crds/ also holds the kustomization that deploy/ includes it through). */
    static Set<String> yamlFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".yml") || n.endsWith(".yaml"))
                    .filter(n -> !n.equals("kustomization.yaml"))
                    .collect(Collectors.toCollection(java.util.TreeSet::new));
        }
    }
}

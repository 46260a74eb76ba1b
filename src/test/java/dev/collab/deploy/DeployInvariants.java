package dev.collab.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The invariants of issue 6 that every install path (Helm chart with any values, kustomize base)
 * must hold, checked on parsed Fabric8 objects.
 */
final class DeployInvariants {
    static final String OPERATOR = "collab-operator";
    static final String ROUTER = "collab-router";
    static final String GATEWAY = "collab-gateway";
    static final String GATEWAY_KEY_SECRET = "collab-gateway-key";
    /** The egress proxy's port: Service, container, session and gateway policies and the operator agree on it. */
    static final int EGRESS_PORT = 3128;

    static final List<String> CONTROL_PLANE = List.of(OPERATOR, ROUTER, GATEWAY);
    static final String SESSION_SA = "collab-session";
    /** The ValidatingAdmissionPolicy (and its binding) that binds spec.owner to the requesting user. */
    static final String OWNER_POLICY = "collab-session-owner";
    /** The policy that lets only the operator make an object a session's child. */
    static final String CHILDREN_POLICY = "collab-session-children";

    static final String WORKER_ROLE = "worker";
    static final String CREDENTIALS_LABEL = "collab.dev/credentials-mode";
    static final Set<String> CLUSTER_INTERNAL =
            Set.of("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10");
    static final String METADATA = "169.254.169.254/32";
    /** Every scope key of a cluster-wide grant. */
    static final String CLUSTER = "*cluster*";

    /** What one rendering should contain. */
    record Expectation(
            String controlNamespace,
            List<String> watchNamespaces,
            int sessionPort,
            String leaseName,
            String adminSecretName,
            boolean adminSecretRendered,
            boolean operatorToSessions,
            int operatorReplicas,
            int routerReplicas) {
        boolean allNamespaces() {
            return watchNamespaces.isEmpty();
        }
    }

    private DeployInvariants() {}

    static void assertAll(List<HasMetadata> objects, Expectation e) {
        assertNamesUnique(objects);
        assertPodSecurity(objects);
        assertServiceAccounts(objects, e);
        assertRbac(objects, e);
        assertWorkloads(objects, e);
        assertOwnerPolicy(objects);
        assertNetworkPolicies(objects, e);
    }

    /** Issue 30 item 3: spec.owner is bound to the requesting user on create and on a change of owner. */
    static void assertOwnerPolicy(List<HasMetadata> objects) {
        var policy = Manifests.get(
                objects,
                io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy.class,
                null,
                OWNER_POLICY);
        assertEquals("Fail", policy.getSpec().getFailurePolicy(), "an unevaluable policy must not admit");
        var rules = policy.getSpec().getMatchConstraints().getResourceRules();
        assertEquals(1, rules.size(), "one resource rule");
        assertEquals(List.of("collab.dev"), rules.get(0).getApiGroups());
        assertEquals(List.of("collabsessions"), rules.get(0).getResources(), "not the status subresource");
        assertEquals(Set.of("CREATE", "UPDATE"), Set.copyOf(rules.get(0).getOperations()));
        var validation = policy.getSpec().getValidations().stream()
                .filter(v -> v.getExpression().contains("request.userInfo.username"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no validation compares spec.owner with the user name"));
        assertTrue(validation.getMessageExpression() != null
                && !validation.getMessageExpression().isBlank());
        assertEquals("Forbidden", validation.getReason());
        var binding = Manifests.get(
                objects,
                io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding.class,
                null,
                OWNER_POLICY);
        assertEquals(OWNER_POLICY, binding.getSpec().getPolicyName());
        assertEquals(List.of("Deny"), binding.getSpec().getValidationActions());

        // Issue 30 item 1: only the operator makes an object a session's child.
        var children = Manifests.get(
                objects,
                io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy.class,
                null,
                CHILDREN_POLICY);
        assertEquals("Fail", children.getSpec().getFailurePolicy());
        assertEquals(
                Set.of("pods", "secrets", "persistentvolumeclaims"),
                Set.copyOf(children.getSpec()
                        .getMatchConstraints()
                        .getResourceRules()
                        .get(0)
                        .getResources()));
        assertTrue(
                children.getSpec().getVariables().stream()
                        .anyMatch(v -> v.getName().equals("operators")
                                && v.getExpression().contains(":collab-operator'")),
                "the operator's ServiceAccount may write children");
        assertEquals(
                List.of("Deny"),
                Manifests.get(
                                objects,
                                io.fabric8.kubernetes.api.model.admissionregistration.v1
                                        .ValidatingAdmissionPolicyBinding.class,
                                null,
                                CHILDREN_POLICY)
                        .getSpec()
                        .getValidationActions());
    }

    static void assertNamesUnique(List<HasMetadata> objects) {
        Set<String> seen = new HashSet<>();
        for (HasMetadata o : objects) {
            String key = o.getKind() + "/" + o.getMetadata().getNamespace() + "/"
                    + o.getMetadata().getName();
            assertTrue(seen.add(key), "rendered twice: " + key);
        }
    }

    // ---------------------------------------------------------------- pod security

    /** Pod template of every kind of workload, by "Kind/namespace/name". */
    static Map<String, PodTemplateSpec> podTemplates(List<HasMetadata> objects) {
        Map<String, PodTemplateSpec> templates = new LinkedHashMap<>();
        for (HasMetadata o : objects) {
            PodTemplateSpec template = null;
            if (o instanceof Deployment d) {
                template = d.getSpec().getTemplate();
            } else if (o instanceof StatefulSet s) {
                template = s.getSpec().getTemplate();
            } else if (o instanceof DaemonSet ds) {
                template = ds.getSpec().getTemplate();
            } else if (o instanceof Job j) {
                template = j.getSpec().getTemplate();
            } else if (o instanceof CronJob cj) {
                template = cj.getSpec().getJobTemplate().getSpec().getTemplate();
            } else if (o instanceof io.fabric8.kubernetes.api.model.Pod p) {
                template = new PodTemplateSpec(p.getMetadata(), p.getSpec());
            }
            if (template != null) {
                templates.put(
                        o.getKind() + "/" + o.getMetadata().getNamespace() + "/"
                                + o.getMetadata().getName(),
                        template);
            }
        }
        return templates;
    }

    /** PSS restricted, plus a read-only root filesystem, for every container of every workload. */
    static void assertPodSecurity(List<HasMetadata> objects) {
        Map<String, PodTemplateSpec> templates = podTemplates(objects);
        assertFalse(templates.isEmpty(), "no workload rendered");
        templates.forEach((where, template) -> {
            PodSpec pod = template.getSpec();
            assertFalse(Boolean.TRUE.equals(pod.getHostNetwork()), where + ": hostNetwork");
            assertFalse(Boolean.TRUE.equals(pod.getHostPID()), where + ": hostPID");
            assertFalse(Boolean.TRUE.equals(pod.getHostIPC()), where + ": hostIPC");
            for (Volume volume : Optional.ofNullable(pod.getVolumes()).orElse(List.of())) {
                assertEquals(null, volume.getHostPath(), where + ": hostPath volume " + volume.getName());
            }
            PodSecurityContext podContext = pod.getSecurityContext();
            assertNotNull(podContext, where + ": no pod securityContext");
            assertEquals(Boolean.TRUE, podContext.getRunAsNonRoot(), where + ": runAsNonRoot");
            if (podContext.getRunAsUser() != null) {
                assertTrue(podContext.getRunAsUser() > 0, where + ": runs as uid 0");
            }
            String podSeccomp = podContext.getSeccompProfile() == null
                    ? null
                    : podContext.getSeccompProfile().getType();
            List<Container> containers = new ArrayList<>(pod.getContainers());
            containers.addAll(Optional.ofNullable(pod.getInitContainers()).orElse(List.of()));
            for (Container c : containers) {
                String at = where + " container " + c.getName();
                assertNotNull(c.getImage(), at + ": no image");
                SecurityContext sc = c.getSecurityContext();
                assertNotNull(sc, at + ": no securityContext");
                assertEquals(Boolean.FALSE, sc.getAllowPrivilegeEscalation(), at + ": allowPrivilegeEscalation");
                assertEquals(Boolean.TRUE, sc.getReadOnlyRootFilesystem(), at + ": readOnlyRootFilesystem");
                assertFalse(Boolean.TRUE.equals(sc.getPrivileged()), at + ": privileged");
                Capabilities caps = sc.getCapabilities();
                assertNotNull(caps, at + ": capabilities");
                assertTrue(caps.getDrop() != null && caps.getDrop().contains("ALL"), at + ": capabilities.drop ALL");
                assertTrue(caps.getAdd() == null || caps.getAdd().isEmpty(), at + ": capabilities.add");
                if (sc.getRunAsNonRoot() != null) {
                    assertEquals(Boolean.TRUE, sc.getRunAsNonRoot(), at + ": runAsNonRoot");
                }
                String seccomp = sc.getSeccompProfile() == null
                        ? podSeccomp
                        : sc.getSeccompProfile().getType();
                assertEquals("RuntimeDefault", seccomp, at + ": seccomp profile");
                for (var port : Optional.ofNullable(c.getPorts()).orElse(List.of())) {
                    assertEquals(null, port.getHostPort(), at + ": hostPort");
                }
            }
        });
    }

    // ---------------------------------------------------------------- service accounts

    static void assertServiceAccounts(List<HasMetadata> objects, Expectation e) {
        for (String name : CONTROL_PLANE) {
            ServiceAccount sa = Manifests.get(objects, ServiceAccount.class, e.controlNamespace(), name);
            assertEquals(
                    Boolean.FALSE, sa.getAutomountServiceAccountToken(), name + " SA: token mounted by the pod only");
            PodSpec pod = Manifests.get(objects, Deployment.class, e.controlNamespace(), name)
                    .getSpec()
                    .getTemplate()
                    .getSpec();
            assertEquals(name, pod.getServiceAccountName(), name + " pod service account");
            assertEquals(Boolean.TRUE, pod.getAutomountServiceAccountToken(), name + " pod needs its API token");
        }
        List<ServiceAccount> sessionAccounts = Manifests.all(objects, ServiceAccount.class).stream()
                .filter(sa -> SESSION_SA.equals(sa.getMetadata().getName()))
                .toList();
        if (e.allNamespaces()) {
            assertTrue(sessionAccounts.isEmpty(), "session service accounts cannot be templated for all namespaces");
        } else {
            assertEquals(
                    new TreeSet<>(e.watchNamespaces()),
                    sessionAccounts.stream()
                            .map(sa -> sa.getMetadata().getNamespace())
                            .collect(Collectors.toCollection(TreeSet::new)),
                    "a session service account per watched namespace");
        }
        for (ServiceAccount sa : sessionAccounts) {
            assertEquals(Boolean.FALSE, sa.getAutomountServiceAccountToken(), "session SA must not mount a token");
        }
        // The session service account has no permissions at all.
        assertTrue(grants(objects, SESSION_SA, null).isEmpty(), "session service account is bound to a role");
    }

    // ---------------------------------------------------------------- RBAC

    /** Verb sets granted to a service account: scope (namespace or CLUSTER) -> "group/resource[names]" -> verbs. */
    static Map<String, Map<String, Set<String>>> grants(List<HasMetadata> objects, String saName, String saNamespace) {
        Map<String, Map<String, Set<String>>> grants = new TreeMap<>();
        for (RoleBinding binding : Manifests.all(objects, RoleBinding.class)) {
            if (bindsTo(binding.getSubjects(), saName, saNamespace)) {
                String ns = binding.getMetadata().getNamespace();
                addRules(grants, ns, rulesOf(objects, binding.getRoleRef(), ns));
            }
        }
        for (ClusterRoleBinding binding : Manifests.all(objects, ClusterRoleBinding.class)) {
            if (bindsTo(binding.getSubjects(), saName, saNamespace)) {
                addRules(grants, CLUSTER, rulesOf(objects, binding.getRoleRef(), null));
            }
        }
        return grants;
    }

    private static boolean bindsTo(List<Subject> subjects, String saName, String saNamespace) {
        return subjects != null
                && subjects.stream()
                        .anyMatch(s -> "ServiceAccount".equals(s.getKind())
                                && saName.equals(s.getName())
                                && (saNamespace == null || saNamespace.equals(s.getNamespace())));
    }

    private static List<PolicyRule> rulesOf(List<HasMetadata> objects, RoleRef ref, String namespace) {
        assertEquals("rbac.authorization.k8s.io", ref.getApiGroup());
        if ("Role".equals(ref.getKind())) {
            return Manifests.get(objects, Role.class, namespace, ref.getName()).getRules();
        }
        assertEquals("ClusterRole", ref.getKind());
        return Manifests.get(objects, ClusterRole.class, null, ref.getName()).getRules();
    }

    private static void addRules(Map<String, Map<String, Set<String>>> grants, String scope, List<PolicyRule> rules) {
        Map<String, Set<String>> byResource = grants.computeIfAbsent(scope, k -> new TreeMap<>());
        for (PolicyRule rule : rules) {
            assertTrue(
                    rule.getNonResourceURLs() == null
                            || rule.getNonResourceURLs().isEmpty(),
                    "nonResourceURLs granted");
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    assertFalse(
                            group.equals("*")
                                    || resource.equals("*")
                                    || rule.getVerbs().contains("*"),
                            "wildcard in RBAC rule " + rule);
                    String names = rule.getResourceNames() == null
                                    || rule.getResourceNames().isEmpty()
                            ? ""
                            : new TreeSet<>(rule.getResourceNames()).toString();
                    byResource
                            .computeIfAbsent(group + "/" + resource + names, k -> new TreeSet<>())
                            .addAll(rule.getVerbs());
                }
            }
        }
    }

    static Map<String, Set<String>> operatorWatchedRules() {
        Map<String, Set<String>> rules = new TreeMap<>();
        rules.put("collab.dev/collabsessions", verbs("get", "list", "watch", "patch", "update"));
        rules.put("collab.dev/collabsessions/status", verbs("get", "patch", "update"));
        rules.put("collab.dev/collabsessionpools", verbs("get", "list", "watch", "patch"));
        rules.put("collab.dev/collabsessionpools/status", verbs("get", "patch", "update"));
        rules.put("/pods", verbs("get", "list", "watch", "create", "delete", "update", "patch"));
        rules.put("/persistentvolumeclaims", verbs("get", "list", "watch", "create", "delete", "update", "patch"));
        rules.put("/secrets", verbs("get", "list", "watch", "create", "update", "patch", "delete"));
        rules.put("/events", verbs("create", "patch"));
        rules.put("events.k8s.io/events", verbs("create", "patch"));
        return rules;
    }

    static Map<String, Set<String>> routerWatchedRules() {
        Map<String, Set<String>> rules = new TreeMap<>();
        rules.put("collab.dev/collabsessions", verbs("get", "list", "watch", "patch", "delete"));
        rules.put("/secrets", verbs("get", "list", "watch", "create", "patch", "update"));
        return rules;
    }

    /**
     * The gateway reads sessions and Secrets, adds to status.usage, updates credential Secrets (refreshed OAuth tokens,
     * the pool state annotation) and records Events (ReloginRequired, BudgetExhausted); it writes nothing else.
     */
    static Map<String, Set<String>> gatewayWatchedRules() {
        Map<String, Set<String>> rules = new TreeMap<>();
        rules.put("collab.dev/collabsessions", verbs("get", "list", "watch"));
        rules.put("collab.dev/collabsessions/status", verbs("patch", "update"));
        rules.put("/secrets", verbs("get", "list", "watch", "update"));
        rules.put("/events", verbs("create"));
        return rules;
    }

    private static Set<String> verbs(String... verbs) {
        return new TreeSet<>(List.of(verbs));
    }

    static void assertRbac(List<HasMetadata> objects, Expectation e) {
        // Operator: the watched namespaces (or the cluster, only for an all-namespaces watch) + its Lease.
        Map<String, Map<String, Set<String>>> expectedOperator = new TreeMap<>();
        Map<String, Map<String, Set<String>>> expectedRouter = new TreeMap<>();
        Map<String, Map<String, Set<String>>> expectedGateway = new TreeMap<>();
        for (String scope : e.allNamespaces() ? List.of(CLUSTER) : e.watchNamespaces()) {
            expectedOperator.put(scope, operatorWatchedRules());
            expectedRouter.put(scope, routerWatchedRules());
            expectedGateway.put(scope, gatewayWatchedRules());
        }
        Map<String, Set<String>> lease = new TreeMap<>();
        lease.put("coordination.k8s.io/leases", verbs("create"));
        lease.put("coordination.k8s.io/leases[" + e.leaseName() + "]", verbs("get", "update", "patch"));
        merge(expectedOperator, e.controlNamespace(), lease);
        // the gateway key: created by the operator when missing, then read by name (operator and gateway)
        Map<String, Set<String>> operatorKey = new TreeMap<>();
        operatorKey.put("/secrets", verbs("create"));
        operatorKey.put("/secrets[" + GATEWAY_KEY_SECRET + "]", verbs("get"));
        merge(expectedOperator, e.controlNamespace(), operatorKey);
        merge(
                expectedGateway,
                e.controlNamespace(),
                Map.of("/secrets[" + GATEWAY_KEY_SECRET + "]", verbs("get", "list", "watch")));
        Map<String, Set<String>> admin = new TreeMap<>();
        admin.put("/secrets[" + e.adminSecretName() + "]", verbs("get", "list", "watch"));
        merge(expectedRouter, e.controlNamespace(), admin);

        assertEquals(expectedOperator, grants(objects, OPERATOR, e.controlNamespace()), "operator RBAC");
        assertEquals(expectedRouter, grants(objects, ROUTER, e.controlNamespace()), "router RBAC");
        assertEquals(expectedGateway, grants(objects, GATEWAY, e.controlNamespace()), "gateway RBAC");

        // Cluster-scoped rights only where a cluster-wide watch needs them.
        List<HasMetadata> clusterRbac = Stream.concat(
                        Manifests.all(objects, ClusterRole.class).stream(),
                        Manifests.all(objects, ClusterRoleBinding.class).stream())
                .map(HasMetadata.class::cast)
                .toList();
        assertEquals(e.allNamespaces(), !clusterRbac.isEmpty(), "ClusterRoles iff all namespaces are watched");
        // Every binding grants to one of our service accounts, nobody else.
        for (RoleBinding b : Manifests.all(objects, RoleBinding.class)) {
            assertBoundOnlyTo(b.getSubjects(), e);
        }
        for (ClusterRoleBinding b : Manifests.all(objects, ClusterRoleBinding.class)) {
            assertBoundOnlyTo(b.getSubjects(), e);
        }
    }

    private static void merge(
            Map<String, Map<String, Set<String>>> target, String scope, Map<String, Set<String>> rules) {
        Map<String, Set<String>> existing = target.computeIfAbsent(scope, k -> new TreeMap<>());
        rules.forEach(
                (k, v) -> existing.computeIfAbsent(k, x -> new TreeSet<>()).addAll(v));
    }

    private static void assertBoundOnlyTo(List<Subject> subjects, Expectation e) {
        for (Subject s : subjects) {
            assertEquals("ServiceAccount", s.getKind(), "binding subject " + s);
            assertTrue(CONTROL_PLANE.contains(s.getName()), "binding subject " + s);
            assertEquals(e.controlNamespace(), s.getNamespace(), "binding subject " + s);
        }
    }

    // ---------------------------------------------------------------- workloads

    static Map<String, String> env(Container c) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar v : Optional.ofNullable(c.getEnv()).orElse(List.of())) {
            assertTrue(env.put(v.getName(), v.getValue()) == null, "env " + v.getName() + " set twice");
        }
        return env;
    }

    static Container container(List<HasMetadata> objects, String namespace, String deployment) {
        List<Container> containers = Manifests.get(objects, Deployment.class, namespace, deployment)
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers();
        assertEquals(1, containers.size(), deployment + " containers");
        return containers.get(0);
    }

    static void assertWorkloads(List<HasMetadata> objects, Expectation e) {
        Set<String> knownEnv = ConfigKeys.envNames();
        Map<String, Integer> replicas = Map.of(OPERATOR, e.operatorReplicas(), ROUTER, e.routerReplicas());
        Map<String, String> roles = Map.of(OPERATOR, "operator", ROUTER, "router", GATEWAY, "gateway");
        for (String name : CONTROL_PLANE) {
            Deployment d = Manifests.get(objects, Deployment.class, e.controlNamespace(), name);
            if (replicas.containsKey(name)) {
                assertEquals(replicas.get(name), d.getSpec().getReplicas(), name + " replicas");
            } else {
                assertTrue(d.getSpec().getReplicas() >= 2, name + ": two replicas at least (a PDB keeps one)");
            }
            assertEquals(
                    Map.of("app.kubernetes.io/name", name),
                    d.getSpec().getSelector().getMatchLabels(),
                    name + " selector");
            assertEquals(
                    name,
                    d.getSpec().getTemplate().getMetadata().getLabels().get("app.kubernetes.io/name"),
                    name + " pod label");
            Container c = container(objects, e.controlNamespace(), name);
            Map<String, String> env = env(c);
            assertEquals(roles.get(name), env.get("COLLAB_ROLE"), name + " role");
            assertEquals(
                    e.allNamespaces() ? null : String.join(",", e.watchNamespaces()),
                    env.get("COLLAB_NAMESPACES"),
                    name + " COLLAB_NAMESPACES");
            for (String key : env.keySet()) {
                if (key.startsWith("COLLAB_")) {
                    assertTrue(knownEnv.contains(key), name + ": " + key + " is no key of CollabConfig");
                }
            }
            assertEquals(8080, c.getPorts().get(0).getContainerPort(), name + " port");
            assertEquals("http", c.getPorts().get(0).getName(), name + " port name");
            assertEquals("/q/health/live", c.getLivenessProbe().getHttpGet().getPath(), name + " liveness");
            assertEquals("/q/health/ready", c.getReadinessProbe().getHttpGet().getPath(), name + " readiness");
            assertNotNull(c.getResources().getRequests().get("memory"), name + " memory request");
            assertNotNull(c.getResources().getLimits().get("memory"), name + " memory limit");
            assertTrue(
                    c.getVolumeMounts().stream().anyMatch(m -> "/tmp".equals(m.getMountPath())),
                    name + ": writable /tmp on a read-only root filesystem");
        }
        Map<String, String> operatorEnv = env(container(objects, e.controlNamespace(), OPERATOR));
        assertEquals(String.valueOf(e.sessionPort()), operatorEnv.get("COLLAB_SESSION_PORT"), "session port");
        if (!e.allNamespaces()) {
            assertEquals(SESSION_SA, operatorEnv.get("COLLAB_SESSION_SERVICE_ACCOUNT_NAME"), "session service account");
        }
        Map<String, String> routerEnv = env(container(objects, e.controlNamespace(), ROUTER));
        assertEquals(e.adminSecretName(), routerEnv.get("COLLAB_ROUTER_ADMIN_TOKEN_SECRET"), "admin Secret name");
        if (e.adminSecretRendered()) {
            var secret = Manifests.get(
                    objects, io.fabric8.kubernetes.api.model.Secret.class, e.controlNamespace(), e.adminSecretName());
            boolean hasToken = (secret.getData() != null && secret.getData().containsKey("token"))
                    || (secret.getStringData() != null && secret.getStringData().containsKey("token"));
            assertTrue(hasToken, "admin Secret has key token");
        }

        for (String name : List.of(ROUTER, GATEWAY)) {
            Service service = Manifests.get(objects, Service.class, e.controlNamespace(), name);
            assertEquals(
                    Map.of("app.kubernetes.io/name", name),
                    service.getSpec().getSelector(),
                    name + " Service selector");
            assertTrue(
                    service.getSpec().getPorts().stream().anyMatch(p -> p.getPort() == 8080),
                    name + " Service port 8080");
            PodDisruptionBudget pdb = Manifests.get(objects, PodDisruptionBudget.class, e.controlNamespace(), name);
            assertEquals(
                    Map.of("app.kubernetes.io/name", name),
                    pdb.getSpec().getSelector().getMatchLabels(),
                    name + " PDB");
        }
        // operator and gateway agree on the default mode; Gateway-mode pods are told the gateway Service
        Map<String, String> gatewayEnv = env(container(objects, e.controlNamespace(), GATEWAY));
        assertEquals(
                operatorEnv.get("COLLAB_CREDENTIALS_DEFAULT_MODE"),
                gatewayEnv.get("COLLAB_CREDENTIALS_DEFAULT_MODE"),
                "operator and gateway default credential mode");
        assertTrue(
                Set.of("Seeded", "Gateway").contains(gatewayEnv.get("COLLAB_CREDENTIALS_DEFAULT_MODE")),
                "default mode set");
        assertEquals(
                "http://" + GATEWAY + "." + e.controlNamespace() + ":8080",
                operatorEnv.get("COLLAB_GATEWAY_URL"),
                "operator points Gateway-mode pods at the gateway Service");
        assertEquals(
                "http://" + GATEWAY + "." + e.controlNamespace() + ":" + EGRESS_PORT,
                operatorEnv.get("COLLAB_GATEWAY_EGRESS_URL"),
                "operator points Gateway-mode pods' proxy variables at the gateway's egress port");
        assertEquals(Integer.toString(EGRESS_PORT), gatewayEnv.get("COLLAB_GATEWAY_EGRESS_PORT"), "egress port");
        Service gatewayService = Manifests.get(objects, Service.class, e.controlNamespace(), GATEWAY);
        assertTrue(
                gatewayService.getSpec().getPorts().stream()
                        .anyMatch(sp -> sp.getPort() == EGRESS_PORT && "egress".equals(sp.getName())),
                "the gateway Service exposes the egress proxy");
    }

    // ---------------------------------------------------------------- network policies

    static void assertNetworkPolicies(List<HasMetadata> objects, Expectation e) {
        List<NetworkPolicy> workerPolicies = Manifests.all(objects, NetworkPolicy.class).stream()
                .filter(p -> selects(p.getSpec().getPodSelector(), "collab.dev/role", WORKER_ROLE))
                .toList();
        List<NetworkPolicy> gatewayModePolicies = workerPolicies.stream()
                .filter(p -> selects(p.getSpec().getPodSelector(), CREDENTIALS_LABEL, "gateway"))
                .toList();
        List<NetworkPolicy> sessionPolicies = workerPolicies.stream()
                .filter(p -> !gatewayModePolicies.contains(p))
                .toList();
        for (List<NetworkPolicy> policies : List.of(sessionPolicies, gatewayModePolicies)) {
            if (e.allNamespaces()) {
                assertTrue(policies.isEmpty(), "session NetworkPolicies cannot be templated for all namespaces");
            } else {
                assertEquals(
                        new TreeSet<>(e.watchNamespaces()),
                        policies.stream()
                                .map(p -> p.getMetadata().getNamespace())
                                .collect(Collectors.toCollection(TreeSet::new)),
                        "a session NetworkPolicy per watched namespace and mode");
            }
        }
        for (NetworkPolicy p : sessionPolicies) {
            assertSessionPolicy(p, e);
        }
        for (NetworkPolicy p : gatewayModePolicies) {
            assertGatewayModeSessionPolicy(p, e);
        }
        for (String name : CONTROL_PLANE) {
            NetworkPolicy p = Manifests.all(objects, NetworkPolicy.class).stream()
                    .filter(np -> e.controlNamespace().equals(np.getMetadata().getNamespace()))
                    .filter(np -> selects(np.getSpec().getPodSelector(), "app.kubernetes.io/name", name))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no NetworkPolicy for " + name));
            assertEquals(
                    Set.of("Ingress", "Egress"), new HashSet<>(p.getSpec().getPolicyTypes()), name + " policy types");
            List<NetworkPolicyEgressRule> egress = p.getSpec().getEgress();
            Set<Integer> apiPorts = egressPorts(p);
            // the gateway reaches the API server on 6443 (443 only with its address: see the chart) and the
            // public internet on any port (publicInternetOnly)
            assertTrue(
                    name.equals(GATEWAY)
                            ? apiPorts.contains(53) && (apiPorts.contains(443) || apiPorts.contains(6443))
                            : apiPorts.containsAll(Set.of(443, 53)),
                    name + " egress reaches the API server and DNS: " + apiPorts);
            boolean toSessions = egress.stream()
                    .anyMatch(r -> ports(r.getPorts()).equals(List.of(e.sessionPort()))
                            && r.getTo() != null
                            && !r.getTo().isEmpty()
                            && r.getTo().stream()
                                    .allMatch(peer -> selects(peer.getPodSelector(), "collab.dev/role", WORKER_ROLE)));
            boolean expected = name.equals(ROUTER) || (name.equals(OPERATOR) && e.operatorToSessions());
            assertEquals(expected, toSessions, name + " egress to session pods on " + e.sessionPort());
            for (NetworkPolicyEgressRule r : egress) {
                if (name.equals(GATEWAY) && publicInternetOnly(r)) {
                    continue; // the egress proxy's far side: any port, never a private range (the gateway checks too)
                }
                assertFalse(
                        r.getPorts() == null || r.getPorts().isEmpty(),
                        name + ": egress rule without ports (allows all) " + r);
                if (ports(r.getPorts()).contains(53)) {
                    assertTrue(isClusterDns(r, name), name + ": DNS only to the cluster DNS pods " + r);
                }
                boolean anyAddress = r.getTo() == null || r.getTo().isEmpty();
                if (name.equals(GATEWAY) && anyAddress) {
                    // a ports-only rule on the provider's port would void the provider rule's exclusions
                    assertFalse(ports(r.getPorts()).contains(443), name + ": 443 to any address " + r);
                }
            }
            for (NetworkPolicyIngressRule r : p.getSpec().getIngress()) {
                assertEquals(
                        name.equals(GATEWAY) ? List.of(EGRESS_PORT, 8080) : List.of(8080),
                        ports(r.getPorts()),
                        name + ": ingress only on its HTTP port (the gateway: and its egress proxy)");
            }
        }
    }

    /**
     * A rule to the public internet only: every peer an ipBlock of everything that excludes the private ranges and the
     * metadata address (IPv4), or the unique-local and link-local ranges (IPv6).
     */
    static boolean publicInternetOnly(NetworkPolicyEgressRule r) {
        if (r.getTo() == null || r.getTo().isEmpty()) {
            return false;
        }
        for (NetworkPolicyPeer peer : r.getTo()) {
            if (peer.getIpBlock() == null || peer.getNamespaceSelector() != null || peer.getPodSelector() != null) {
                return false;
            }
            String cidr = peer.getIpBlock().getCidr();
            List<String> except = peer.getIpBlock().getExcept() == null
                    ? List.of()
                    : peer.getIpBlock().getExcept();
            boolean ok = cidr.equals("0.0.0.0/0")
                    ? except.containsAll(List.of("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.169.254/32"))
                    : cidr.equals("::/0") && except.containsAll(List.of("fc00::/7", "fe80::/10"));
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * A DNS rule: ports 53 only, to the cluster DNS pods (kube-system, k8s-app=kube-dns) or listed addresses; a DNS
     * rule to any address would be a tunnel out on port 53.
     */
    static boolean isClusterDns(NetworkPolicyEgressRule r, String at) {
        if (!ports(r.getPorts()).equals(List.of(53))) {
            return false;
        }
        assertFalse(r.getTo() == null || r.getTo().isEmpty(), at + ": DNS to any address");
        for (NetworkPolicyPeer peer : r.getTo()) {
            if (peer.getIpBlock() != null) {
                assertTrue(peer.getIpBlock().getCidr().endsWith("/32"), at + ": DNS to a whole range " + peer);
                continue;
            }
            assertEquals(
                    Map.of("kubernetes.io/metadata.name", "kube-system"),
                    peer.getNamespaceSelector().getMatchLabels(),
                    at + ": DNS namespace");
            assertEquals(Map.of("k8s-app", "kube-dns"), peer.getPodSelector().getMatchLabels(), at + ": DNS pods");
        }
        return true;
    }

    /** Every port some egress rule of the policy opens. */
    static Set<Integer> egressPorts(NetworkPolicy p) {
        return p.getSpec().getEgress().stream()
                .flatMap(r -> ports(r.getPorts()).stream())
                .collect(Collectors.toSet());
    }

    /**
     * Gateway-mode session pods: the same ingress as Seeded ones; egress only to DNS and the gateway, so a provider
     * request cannot bypass the gateway.
     */
    private static void assertGatewayModeSessionPolicy(NetworkPolicy p, Expectation e) {
        String at = "Gateway-mode session NetworkPolicy " + p.getMetadata().getNamespace();
        assertEquals(
                Map.of("collab.dev/role", WORKER_ROLE, CREDENTIALS_LABEL, "gateway"),
                p.getSpec().getPodSelector().getMatchLabels(),
                at + " selector");
        assertSessionIngress(p, e, at);
        boolean dns = false;
        boolean gateway = false;
        for (NetworkPolicyEgressRule r : p.getSpec().getEgress()) {
            assertFalse(r.getTo() == null || r.getTo().isEmpty(), at + ": egress to any address " + r);
            if (isClusterDns(r, at)) {
                dns = true;
                continue;
            }
            assertEquals(
                    List.of(EGRESS_PORT, 8080),
                    ports(r.getPorts()),
                    at + ": egress to the gateway's provider and egress proxy ports only");
            for (NetworkPolicyPeer peer : r.getTo()) {
                assertEquals(
                        null, peer.getIpBlock(), at + ": no ipBlock (the provider is reached through the gateway)");
                assertEquals(
                        Map.of("kubernetes.io/metadata.name", e.controlNamespace()),
                        peer.getNamespaceSelector().getMatchLabels(),
                        at + ": gateway namespace");
                assertEquals(
                        Map.of("app.kubernetes.io/name", GATEWAY),
                        peer.getPodSelector().getMatchLabels(),
                        at + ": gateway pods");
                gateway = true;
            }
        }
        assertTrue(dns && gateway, at + ": DNS and gateway egress");
    }

    private static void assertSessionPolicy(NetworkPolicy p, Expectation e) {
        String at = "session NetworkPolicy " + p.getMetadata().getNamespace();
        assertEquals(
                Map.of("collab.dev/role", WORKER_ROLE),
                p.getSpec().getPodSelector().getMatchLabels(),
                at + " selector");
        // policies add up: the internet egress below must not also apply to Gateway-mode pods
        assertTrue(
                p.getSpec().getPodSelector().getMatchExpressions().stream()
                        .anyMatch(x -> CREDENTIALS_LABEL.equals(x.getKey())
                                && "NotIn".equals(x.getOperator())
                                && x.getValues().contains("gateway")),
                at + ": excludes Gateway-mode pods");
        assertSessionIngress(p, e, at);
        assertSessionEgress(p, at);
    }

    private static void assertSessionIngress(NetworkPolicy p, Expectation e, String at) {
        assertEquals(Set.of("Ingress", "Egress"), new HashSet<>(p.getSpec().getPolicyTypes()), at + " policy types");
        // Ingress: only router pods (and operator pods when enabled), only on the opencode port.
        Set<String> allowedSources = new HashSet<>();
        assertFalse(p.getSpec().getIngress().isEmpty(), at + ": router must be allowed in");
        for (NetworkPolicyIngressRule r : p.getSpec().getIngress()) {
            assertEquals(List.of(e.sessionPort()), ports(r.getPorts()), at + ": ingress ports");
            assertFalse(r.getFrom() == null || r.getFrom().isEmpty(), at + ": ingress from anywhere");
            for (NetworkPolicyPeer peer : r.getFrom()) {
                assertEquals(null, peer.getIpBlock(), at + ": ingress ipBlock");
                assertNotNull(
                        peer.getNamespaceSelector(), at + ": ingress peer without namespace (same namespace only)");
                assertEquals(
                        Map.of("kubernetes.io/metadata.name", e.controlNamespace()),
                        peer.getNamespaceSelector().getMatchLabels(),
                        at + ": ingress peer namespace");
                assertNotNull(peer.getPodSelector(), at + ": ingress from a whole namespace");
                assertEquals(1, peer.getPodSelector().getMatchLabels().size(), at + ": ingress pod selector");
                allowedSources.add(peer.getPodSelector().getMatchLabels().get("app.kubernetes.io/name"));
            }
        }
        assertEquals(
                e.operatorToSessions() ? Set.of(ROUTER, OPERATOR) : Set.of(ROUTER),
                allowedSources,
                at + ": ingress sources");
    }

    private static void assertSessionEgress(NetworkPolicy p, String at) {
        // Egress: DNS on port 53 anywhere; everything else only to ipBlocks that exclude internal ranges.
        boolean dns = false;
        boolean internet = false;
        for (NetworkPolicyEgressRule r : p.getSpec().getEgress()) {
            assertFalse(r.getTo() == null || r.getTo().isEmpty(), at + ": egress to any address " + r);
            if (isClusterDns(r, at)) {
                dns = true;
                continue;
            }
            for (NetworkPolicyPeer peer : r.getTo()) {
                assertNotNull(peer.getIpBlock(), at + ": egress to pods/namespaces (cluster-internal) " + peer);
                String cidr = peer.getIpBlock().getCidr();
                List<String> except =
                        Optional.ofNullable(peer.getIpBlock().getExcept()).orElse(List.of());
                if (cidr.contains(":")) {
                    assertTrue(except.contains("fc00::/7"), at + ": IPv6 egress must exclude unique-local addresses");
                } else {
                    assertEquals("0.0.0.0/0", cidr, at + ": IPv4 egress block");
                    assertTrue(except.containsAll(CLUSTER_INTERNAL), at + ": egress must exclude " + CLUSTER_INTERNAL);
                    assertTrue(except.contains(METADATA), at + ": egress must exclude the metadata address");
                    internet = true;
                }
            }
        }
        assertTrue(dns, at + ": DNS egress");
        assertTrue(internet, at + ": internet egress");
    }

    static boolean selects(LabelSelector selector, String key, String value) {
        return selector != null
                && selector.getMatchLabels() != null
                && value.equals(selector.getMatchLabels().get(key));
    }

    static List<Integer> ports(Collection<NetworkPolicyPort> ports) {
        if (ports == null) {
            return List.of();
        }
        return ports.stream()
                .map(p -> {
                    assertNotNull(p.getPort(), "port without number");
                    return p.getPort().getIntVal();
                })
                .filter(Objects::nonNull)
                .distinct()
                .sorted()
                .toList();
    }

    // ---------------------------------------------------------------- namespaces

    static void assertRestrictedNamespace(List<HasMetadata> objects, String name) {
        Namespace ns = Manifests.get(objects, Namespace.class, null, name);
        assertEquals(
                "restricted",
                ns.getMetadata().getLabels().get("pod-security.kubernetes.io/enforce"),
                name + " enforces the restricted Pod Security Standard");
    }
}

package dev.collab.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.testing.CollabInstall;
import dev.collab.testing.ControlPlane;
import dev.collab.testing.ControlPlaneExtension;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.SubjectBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 30 item 3 on the real API server: the chart's ValidatingAdmissionPolicy binds {@code spec.owner} to the
 * requesting user. Two people (alice and bob, impersonated by the admin, each allowed by RBAC to write
 * CollabSessions in the namespace) may create sessions for themselves only; the collab app's ServiceAccount (listed
 * in {@code ownerPolicy.creatorUsers}) and a member of group {@code collab:session-creators} may create sessions for
 * both. Without the policy (main before issue 30) alice's session for bob is admitted: the denial assertions fail.
 */
@ExtendWith(ControlPlaneExtension.class)
class OwnerPolicyControlPlaneIT {
    static final String NS = "owner-policy";
    static final String APP_NS = "collab-app";
    static final String APP_SA = "collab-app";
    static final AtomicInteger NAMES = new AtomicInteger();

    static KubernetesClient alice;
    static KubernetesClient bob;
    static KubernetesClient app;
    static KubernetesClient carol;
    static KubernetesClient operator;
    static List<HasMetadata> policy;

    @BeforeAll
    static void install(ControlPlane plane) {
        CollabInstall.crd(plane);
        plane.ensureNamespace(NS, Map.of());
        KubernetesClient admin = plane.admin();
        // Who may write CollabSessions at all is RBAC's answer; the policy only narrows spec.owner.
        admin.rbac()
                .roles()
                .inNamespace(NS)
                .resource(new RoleBuilder()
                        .withMetadata(new ObjectMetaBuilder()
                                .withName("session-writer")
                                .build())
                        .withRules(
                                new PolicyRuleBuilder()
                                        .withApiGroups("collab.dev")
                                        .withResources("collabsessions")
                                        .withVerbs("get", "create", "update", "patch", "delete")
                                        .build(),
                                // a tenant who may create Secrets and claims (the threat model of issue 30)
                                new PolicyRuleBuilder()
                                        .withApiGroups("")
                                        .withResources("secrets", "persistentvolumeclaims")
                                        .withVerbs("get", "create", "update", "patch", "delete")
                                        .build())
                        .build())
                .createOr(r -> r.update());
        admin.rbac()
                .roleBindings()
                .inNamespace(NS)
                .resource(new RoleBindingBuilder()
                        .withMetadata(new ObjectMetaBuilder()
                                .withName("session-writers")
                                .build())
                        .withNewRoleRef("rbac.authorization.k8s.io", "Role", "session-writer")
                        .withSubjects(
                                user("alice"),
                                user("bob"),
                                user("carol"),
                                new SubjectBuilder()
                                        .withKind("ServiceAccount")
                                        .withName("collab-operator")
                                        .withNamespace(ChartTest.RELEASE_NAMESPACE)
                                        .build(),
                                new SubjectBuilder()
                                        .withKind("ServiceAccount")
                                        .withName(APP_SA)
                                        .withNamespace(APP_NS)
                                        .build())
                        .build())
                .createOr(r -> r.update());

        String rendered = ChartTest.chart()
                .template()
                .withName("collab")
                .withNamespace(ChartTest.RELEASE_NAMESPACE)
                .set("ownerPolicy.creatorUsers[0]", "system:serviceaccount:" + APP_NS + ":" + APP_SA)
                .call();
        policy = Manifests.parse(rendered).stream()
                .filter(o -> o instanceof ValidatingAdmissionPolicy || o instanceof ValidatingAdmissionPolicyBinding)
                .toList();
        assertThat(policy).hasSize(4);
        policy.forEach(o -> admin.resource(o).createOr(r -> r.update()));

        alice = plane.clientImpersonating("alice");
        bob = plane.clientImpersonating("bob");
        carol = plane.clientImpersonating("carol", "collab:session-creators");
        app = plane.clientAs(APP_NS, APP_SA);
        operator = plane.clientAs(ChartTest.RELEASE_NAMESPACE, "collab-operator");
        // The API server compiles a new policy and binding asynchronously: wait until it denies.
        await("policy enforced")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    try {
                        plane.admin().resource(create(alice, "bob")).delete();
                        return false;
                    } catch (KubernetesClientException e) {
                        return e.getCode() == 403;
                    }
                });
    }

    // The policies stay installed, as DeployControlPlaneIT leaves deploy/'s: the classes that run after this one
    // on the shared control plane then run the operator (ServiceAccount collab-system/collab-operator) under them.

    @Test
    void theShippedPolicyTypeChecks(ControlPlane plane) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            ValidatingAdmissionPolicy live = plane.admin()
                    .resources(ValidatingAdmissionPolicy.class)
                    .withName("collab-session-owner")
                    .get();
            assertThat(live.getStatus()).isNotNull();
            assertThat(live.getStatus().getTypeChecking()).isNotNull();
            assertThat(live.getStatus().getTypeChecking().getExpressionWarnings())
                    .as("CEL type-check warnings")
                    .isEmpty();
        });
    }

    @Test
    void aPersonCreatesSessionsForThemselfOnly() {
        assertThat(create(alice, "alice").getSpec().getOwner()).isEqualTo("alice");
        assertThat(create(bob, "bob").getSpec().getOwner()).isEqualTo("bob");

        assertThatThrownBy(() -> create(alice, "bob"))
                .isInstanceOfSatisfying(
                        KubernetesClientException.class,
                        e -> assertThat(e.getCode()).isEqualTo(403))
                .hasMessageContaining("spec.owner must be your own user name \"alice\", not \"bob\"")
                .hasMessageContaining("collab-session-owner");
        assertThatThrownBy(() -> create(bob, "alice"))
                .hasMessageContaining("spec.owner must be your own user name \"bob\", not \"alice\"");
        assertThatThrownBy(() -> create(alice, "alice@example.com"))
                .as("a look-alike of one's own name is another owner")
                .hasMessageContaining("not \"alice@example.com\"");
    }

    @Test
    void aPersonCannotHandASessionToAnotherOwnerButMayEditIt() {
        CollabSession mine = create(alice, "alice");
        CollabSession annotated = alice.resource(mine).edit(cs -> {
            cs.getMetadata().setAnnotations(Map.of("collab.dev/last-activity", "2026-12-04T17:00:00Z"));
            cs.getSpec().setSuspend(true);
            return cs;
        });
        assertThat(annotated.getSpec().isSuspend())
                .as("an update that keeps the owner passes")
                .isTrue();

        assertThatThrownBy(() -> alice.resource(annotated).edit(cs -> {
                    cs.getSpec().setOwner("bob");
                    return cs;
                }))
                .isInstanceOfSatisfying(
                        KubernetesClientException.class,
                        e -> assertThat(e.getCode()).isEqualTo(403))
                .hasMessageContaining("not \"bob\"");
    }

    @Test
    void theCollabAppAndSessionCreatorsCreateForAnyOwner() {
        assertThat(create(app, "alice").getSpec().getOwner()).isEqualTo("alice");
        assertThat(create(app, "bob").getSpec().getOwner()).isEqualTo("bob");
        assertThat(create(carol, "bob").getSpec().getOwner()).isEqualTo("bob");
        assertThat(create(carol, "alice").getSpec().getOwner()).isEqualTo("alice");
    }

    /**
     * Issue 30 item 1, closed at the API server: a child is a session's by a controller reference to its uid (or the
     * session-uid annotation of a retained HOME claim). Once the uid is known, a tenant could write either on an
     * object planted under a child name before the operator creates its own; policy collab-session-children lets
     * only the operator's ServiceAccount (and system:masters) do that.
     */
    @Test
    void onlyTheOperatorMakesAnObjectASessionsChild() {
        CollabSession victim = create(app, "bob");
        var ref = new io.fabric8.kubernetes.api.model.OwnerReferenceBuilder()
                .withApiVersion(CollabSession.API_VERSION)
                .withKind(CollabSession.KIND)
                .withName(victim.getMetadata().getName())
                .withUid(victim.getMetadata().getUid())
                .withController(true)
                .build();
        String access = victim.getMetadata().getName() + "-access";
        var planted = new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata()
                .withName(access)
                .withNamespace(NS)
                .withOwnerReferences(ref)
                .endMetadata()
                .addToStringData("token", "planted")
                .build();
        await("children policy enforced")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThatThrownBy(() -> alice.secrets()
                                .inNamespace(NS)
                                .resource(planted)
                                .create())
                        .isInstanceOfSatisfying(
                                KubernetesClientException.class,
                                e -> assertThat(e.getCode()).isEqualTo(403))
                        .hasMessageContaining("only the collab operator makes a secrets a CollabSession's child"));

        var claim = new io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName(victim.getMetadata().getName() + "-home")
                .withNamespace(NS)
                .addToAnnotations("collab.dev/session-uid", victim.getMetadata().getUid())
                .endMetadata()
                .withNewSpec()
                .withAccessModes("ReadWriteOnce")
                .withNewResources()
                .addToRequests("storage", new io.fabric8.kubernetes.api.model.Quantity("1Gi"))
                .endResources()
                .endSpec()
                .build();
        assertThatThrownBy(() -> alice.persistentVolumeClaims()
                        .inNamespace(NS)
                        .resource(claim)
                        .create())
                .hasMessageContaining("persistentvolumeclaims");

        // Unrelated Secrets pass; the operator's own child passes, and others may still edit its labels.
        alice.secrets()
                .inNamespace(NS)
                .resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                        .withNewMetadata()
                        .withName("alices-own")
                        .endMetadata()
                        .addToStringData("k", "v")
                        .build())
                .create();
        var created = operator.secrets().inNamespace(NS).resource(planted).create();
        assertThat(created.getMetadata().getOwnerReferences()).containsExactly(ref);
        alice.secrets().inNamespace(NS).withName(access).edit(s -> {
            s.getMetadata().setLabels(Map.of("note", "kept"));
            return s;
        });
        assertThatThrownBy(() -> alice.secrets()
                        .inNamespace(NS)
                        .withName("alices-own")
                        .edit(s -> {
                            s.getMetadata().setOwnerReferences(List.of(ref));
                            return s;
                        }))
                .as("adding the reference later is the same as planting with it")
                .hasMessageContaining("may not");
    }

    private static CollabSession create(KubernetesClient as, String owner) {
        CollabSession cs = new CollabSession();
        cs.setMetadata(new ObjectMetaBuilder()
                .withName("owned-" + NAMES.incrementAndGet())
                .withNamespace(NS)
                .build());
        cs.setSpec(new CollabSessionSpec(owner, "creds-" + owner.replaceAll("[^a-z0-9]", "-")));
        return as.resources(CollabSession.class).inNamespace(NS).resource(cs).create();
    }

    private static io.fabric8.kubernetes.api.model.rbac.Subject user(String name) {
        return new SubjectBuilder()
                .withApiGroup("rbac.authorization.k8s.io")
                .withKind("User")
                .withName(name)
                .build();
    }
}

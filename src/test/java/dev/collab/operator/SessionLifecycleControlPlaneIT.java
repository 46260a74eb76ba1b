package dev.collab.operator;

import static dev.collab.operator.OperatorOnControlPlane.NS;
import static dev.collab.operator.OperatorOnControlPlane.OPERATOR_USER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CredentialsMode;
import dev.collab.api.SessionPhase;
import dev.collab.api.StoppedReason;
import dev.collab.api.StorageSpec;
import dev.collab.testing.AuditLog;
import dev.collab.testing.ControlPlane;
import dev.collab.testing.ControlPlaneExtension;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A session's life on the real control plane: Pod Security admission of the pods the operator builds, the real
 * garbage collector, kubectl wait/describe/annotate, and the API writes the operator makes, counted from the audit
 * log. The operator runs in this JVM as the collab-operator ServiceAccount with deploy/'s RBAC; pods are started
 * by a FAKE kubelet (status subresource), since there is no container runtime.
 */
@ExtendWith(ControlPlaneExtension.class)
class SessionLifecycleControlPlaneIT {
    static OperatorOnControlPlane env;
    static long start;

    @BeforeAll
    static void startOperator(ControlPlane plane) {
        start = plane.auditLog().mark();
        env = new OperatorOnControlPlane(plane, OperatorSettings.defaults());
    }

    @AfterAll
    static void stopOperator(ControlPlane plane) {
        if (env != null) {
            env.close();
        }
    }

    @AfterEach
    void operatorWasNeverForbidden(ControlPlane plane) {
        assertThat(plane.auditLog().forbidden(start, OPERATOR_USER))
                .as("requests the RBAC of deploy/ refused")
                .isEmpty();
    }

    CollabSession running(String name, CollabSessionSpec spec) {
        env.credentials(name + "-credentials", spec.getOwner());
        env.create(name, spec);
        return env.awaitSession(
                name, s -> s.getStatus() != null && s.getStatus().getPhase() == SessionPhase.Running);
    }

    static CollabSessionSpec spec(String owner, String name) {
        return new CollabSessionSpec(owner, name + "-credentials");
    }

    @Test
    void sessionPodsAreAdmittedUnderPodSecurityRestricted(ControlPlane plane) {
        assertThat(env.admin.namespaces().withName(NS).get().getMetadata().getLabels())
                .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
        // The admission is real: a pod without the restricted securityContext is refused in this namespace.
        Pod plain = new PodBuilder()
                .withNewMetadata()
                .withName("plain")
                .withNamespace(NS)
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("c")
                .withImage("busybox")
                .endContainer()
                .endSpec()
                .build();
        assertThatThrownBy(() -> env.admin.resource(plain).create())
                .isInstanceOf(KubernetesClientException.class)
                .hasMessageContaining("violates PodSecurity \"restricted:latest\"");

        running("psa", spec("alice", "psa"));
        Pod pod = env.admin.pods().inNamespace(NS).withName("psa").get();
        assertThat(pod.getSpec().getServiceAccountName()).isEqualTo("collab-session");
    }

    /**
     * Issue 14 on the real control plane: a Gateway-mode session's pod names no Secret that holds a real credential
     * (its HOME gets the operator's placeholder Secret), is admitted under Pod Security "restricted", and points the
     * provider at the gateway. The operator creates the gateway key in its own namespace with deploy/'s RBAC.
     */
    @Test
    void gatewayModePodReferencesNoRealCredentialAndIsAdmittedUnderRestricted() {
        Secret real = env.admin
                .secrets()
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("gw-credentials")
                        .withNamespace(NS)
                        .withLabels(CollabLabels.credentialSecretLabels("frank"))
                        .endMetadata()
                        .withStringData(
                                Map.of(
                                        "auth.json", "{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-ant-REAL-gw\"}}",
                                        "opencode.json",
                                                "{\"provider\":{\"anthropic\":{\"options\":{\"apiKey\":\"sk-ant-REAL-opt\"}}}}"))
                        .build())
                .createOr(existing -> existing.update());
        CollabSessionSpec spec = spec("frank", "gw");
        spec.getCredentials().setMode(CredentialsMode.Gateway);
        env.create("gw", spec);
        env.awaitSession("gw", s -> s.getStatus() != null && s.getStatus().getPhase() == SessionPhase.Running);

        Pod pod = env.admin.pods().inNamespace(NS).withName("gw").get();
        assertThat(pod.getMetadata().getLabels())
                .containsEntry(CollabLabels.CREDENTIALS_MODE, CollabLabels.CREDENTIALS_MODE_GATEWAY);
        List<String> secretsNamed = new java.util.ArrayList<>();
        pod.getSpec().getVolumes().forEach(v -> {
            if (v.getSecret() != null) {
                secretsNamed.add(v.getSecret().getSecretName());
            }
            if (v.getProjected() != null) {
                v.getProjected().getSources().stream()
                        .filter(p -> p.getSecret() != null)
                        .forEach(p -> secretsNamed.add(p.getSecret().getName()));
            }
        });
        java.util.stream.Stream.concat(
                        pod.getSpec().getInitContainers().stream(), pod.getSpec().getContainers().stream())
                .forEach(c -> {
                    c.getEnv().stream()
                            .filter(e ->
                                    e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null)
                            .forEach(e -> secretsNamed.add(
                                    e.getValueFrom().getSecretKeyRef().getName()));
                    c.getEnvFrom().stream()
                            .filter(e -> e.getSecretRef() != null)
                            .forEach(e -> secretsNamed.add(e.getSecretRef().getName()));
                });
        assertThat(secretsNamed)
                .as("Secrets the pod mounts or reads: access (token, server password) and placeholders only")
                .contains("gw-gateway-home")
                .isSubsetOf("gw-access", "gw-gateway-home");
        String podJson = Serialization.asJson(pod.getSpec());
        assertThat(podJson)
                .as("the credential Secret is referenced nowhere (volumes, env, envFrom)")
                .doesNotContain(real.getMetadata().getName())
                .doesNotContain("REAL");
        assertThat(pod.getSpec().getContainers().get(0).getEnv())
                .as("the provider is reached through the gateway")
                .anySatisfy(e -> {
                    assertThat(e.getName()).isEqualTo("ANTHROPIC_BASE_URL");
                    assertThat(e.getValue())
                            .isEqualTo(OperatorSettings.defaults().gateway().baseUrlV1());
                });
        Secret home =
                env.admin.secrets().inNamespace(NS).withName("gw-gateway-home").get();
        assertThat(home.getData()).containsKeys("auth.json", "opencode.json");
        home.getData()
                .forEach((key, value) -> assertThat(new String(
                                java.util.Base64.getDecoder().decode(value), java.nio.charset.StandardCharsets.UTF_8))
                        .as("placeholder file %s", key)
                        .doesNotContain("REAL"));
        assertThat(env.admin
                        .secrets()
                        .inNamespace(OperatorOnControlPlane.SYSTEM_NS)
                        .withName("collab-gateway-key")
                        .get())
                .as("the operator created the gateway key")
                .isNotNull();
        PoolControlPlaneIT.assertAdmittedUnderRestricted(env, pod);
    }

    @Test
    void deletingASessionGarbageCollectsItsPodAccessSecretAndClaim() {
        CollabSession session = running("gc", spec("bob", "gc"));
        // Gateway mode, the default: the placeholder HOME Secret is a child too
        assertThat(children("gc"))
                .containsExactlyInAnyOrder("pod/gc", "secret/gc-access", "secret/gc-gateway-home", "pvc/gc-home");

        env.admin.resource(session).delete();

        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> assertThat(children("gc")).isEmpty());
        assertThat(env.admin
                        .secrets()
                        .inNamespace(NS)
                        .withName("gc-credentials")
                        .get())
                .as("the user's credential Secret is not the session's to delete")
                .isNotNull();
    }

    @Test
    void retainOnDeleteKeepsTheClaim() {
        CollabSessionSpec spec = spec("carol", "keep");
        StorageSpec storage = new StorageSpec();
        storage.setRetainOnDelete(true);
        spec.setStorage(storage);
        CollabSession session = running("keep", spec);

        env.admin.resource(session).delete();

        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> assertThat(children("keep")).containsExactly("pvc/keep-home"));
        await().during(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(10))
                .until(() -> env.admin
                                .persistentVolumeClaims()
                                .inNamespace(NS)
                                .withName("keep-home")
                                .get()
                        != null);
    }

    @Test
    void kubectlWaitDescribeAndAnnotateWake(ControlPlane plane) {
        env.credentials("kc-credentials", "dave");
        CollabSessionSpec spec = spec("dave", "kc");
        spec.setIdleTimeout("4s");
        env.create("kc", spec);

        plane.kubectl()
                .run("wait", "-n", NS, "--for=condition=Ready", "--timeout=60s", "collabsession/kc")
                .orFail();
        CollabSession stopped =
                env.awaitSession("kc", s -> s.getStatus().getStoppedReason() == StoppedReason.IdleTimeout);
        assertThat(stopped.getStatus().getPhase()).isEqualTo(SessionPhase.Stopped);
        String described =
                plane.kubectl().run("describe", "-n", NS, "collab", "kc").orFail();
        assertThat(described).contains("Events:").containsPattern("Normal\\s+\\S+.*collab");

        plane.kubectl()
                .run(
                        "annotate",
                        "-n",
                        NS,
                        "--overwrite",
                        "collab",
                        "kc",
                        CollabLabels.LAST_ACTIVITY + "=" + Instant.now().plusSeconds(1))
                .orFail();

        env.awaitSession("kc", s -> s.getStatus().getPhase() == SessionPhase.Running);
    }

    @Test
    void apiWritesPerSessionFromTheAuditLog(ControlPlane plane) {
        AuditLog audit = plane.auditLog();
        CollabSessionSpec steady = spec("erin", "w");
        steady.setIdleTimeout("0");
        long created = audit.mark();
        running("w", steady);
        List<AuditLog.Event> toRunning = quietWrites(audit, created, "w");

        // A no-op resync: an edit that changes nothing the operator reads (a foreign label) triggers a reconcile.
        long resync = audit.mark();
        env.admin
                .resources(CollabSession.class)
                .inNamespace(NS)
                .withName("w")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"labels\":{\"test/touch\":\"1\"}}}");
        List<AuditLog.Event> noOp = quietWrites(audit, resync, "w");

        CollabSessionSpec idles = spec("erin", "wi");
        idles.setIdleTimeout("4s");
        running("wi", idles);
        long idle = audit.mark();
        env.awaitSession("wi", s -> s.getStatus().getStoppedReason() == StoppedReason.IdleTimeout);
        List<AuditLog.Event> idleStop = quietWrites(audit, idle, "wi");

        System.out.printf(
                "audit: operator writes to Running %d %s; per no-op resync %d; per idle stop %d %s%n",
                toRunning.size(), toRunning, noOp.size(), idleStop.size(), idleStop);
        assertThat(toRunning.stream().filter(e -> !e.resource().equals("events")))
                .as("access Secret, claim, pod and two status patches (issue 11: at most 5 per session)")
                .hasSizeLessThanOrEqualTo(5)
                .extracting(e -> e.resource() + (e.subresource().isEmpty() ? "" : "/" + e.subresource()))
                .contains("secrets", "persistentvolumeclaims", "pods", "collabsessions/status");
        assertThat(toRunning.stream().filter(e -> e.resource().equals("events")))
                .as("Events Started and Ready")
                .hasSize(2);
        assertThat(noOp)
                .as("a reconcile that finds nothing to do writes nothing")
                .isEmpty();
        assertThat(idleStop).as("delete the pod, patch status, event").hasSizeBetween(2, 4);
    }

    /** The operator's writes for one session (itself, its children, its events) after the mark, once quiet 2 s. */
    static List<AuditLog.Event> quietWrites(AuditLog audit, long mark, String session) {
        java.util.function.Predicate<AuditLog.Event> mine = e -> e.by(OPERATOR_USER)
                && (e.name().equals(session)
                        || e.name().equals(session + "-access")
                        || e.name().equals(session + "-home")
                        || e.name().startsWith(session + "."));
        int[] last = {-1};
        await().pollInterval(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(40))
                .until(() -> {
                    int now = audit.writes(mark, mine).size();
                    boolean quiet = now == last[0];
                    last[0] = now;
                    return quiet;
                });
        return audit.writes(mark, mine);
    }

    static List<String> children(String session) {
        var pods = env.admin.pods().inNamespace(NS).withLabel(CollabLabels.SESSION, session).list().getItems().stream()
                .map(p -> "pod/" + p.getMetadata().getName());
        var secrets =
                env.admin.secrets().inNamespace(NS).withLabel(CollabLabels.SESSION, session).list().getItems().stream()
                        .map(p -> "secret/" + p.getMetadata().getName());
        var claims = env
                .admin
                .persistentVolumeClaims()
                .inNamespace(NS)
                .withLabel(CollabLabels.SESSION, session)
                .list()
                .getItems()
                .stream()
                .map(p -> "pvc/" + p.getMetadata().getName());
        return java.util.stream.Stream.of(pods, secrets, claims).flatMap(s -> s).toList();
    }
}

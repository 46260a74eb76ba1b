package dev.collab.operator;

import static org.awaitility.Awaitility.await;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.testing.AuditLog;
import dev.collab.testing.CollabInstall;
import dev.collab.testing.ControlPlane;
import dev.collab.testing.StatusSubresourceKubelet;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The operator in this JVM against the real control plane, with exactly the RBAC of {@code deploy/}: its client's
 * identity is the {@code collab-operator} ServiceAccount (token from TokenRequest), and sessions live in the
 * {@code collab} namespace, which enforces Pod Security "restricted". Pods are started by a FAKE kubelet
 * ({@link StatusSubresourceKubelet}); opencode's busy check is a stub that answers "idle", and its credential API is
 * FAKE too ({@link RecordingDelivery}: the fake kubelet's pod IPs lead nowhere). The pool controller runs as in
 * production.
 */
final class OperatorOnControlPlane implements AutoCloseable {
    static final String NS = "collab";
    static final String SYSTEM_NS = "collab-system";
    static final String OPERATOR_USER = AuditLog.serviceAccount(SYSTEM_NS, "collab-operator");
    static final Duration WAIT = Duration.ofSeconds(60);

    final ControlPlane plane;
    final KubernetesClient admin;
    final KubernetesClient operatorClient;
    final StatusSubresourceKubelet kubelet;
    final RecordingDelivery delivery = new RecordingDelivery();
    final Operator operator;

    OperatorOnControlPlane(ControlPlane plane, OperatorSettings settings) {
        this.plane = plane;
        this.admin = plane.admin();
        CollabInstall.deployRbac(plane);
        operatorClient = plane.clientAs(SYSTEM_NS, "collab-operator");
        kubelet = new StatusSubresourceKubelet(admin, NS);
        operator = new Operator(o -> o.withKubernetesClient(operatorClient)
                .withUseSSAToPatchPrimaryResource(false)
                .withSSABasedCreateUpdateMatchForDependentResources(false)
                .withCloseClientOnStop(false)
                .withConcurrentReconciliationThreads(8));
        OperatorSettings effective = withSessionServiceAccount(settings);
        operator.register(
                new CollabSessionReconciler(
                        effective,
                        Clock.systemUTC(),
                        (endpoint, password) -> BusyProbe.Answer.IDLE,
                        delivery,
                        new SimpleMeterRegistry()),
                c -> c.settingNamespace(NS));
        operator.register(new PoolReconciler(effective, Clock.systemUTC()), c -> c.settingNamespace(NS));
        operator.start();
    }

    /** deploy/ runs session pods as collab-session (COLLAB_SESSION_SERVICE_ACCOUNT_NAME). */
    static OperatorSettings withSessionServiceAccount(OperatorSettings s) {
        return new OperatorSettings(
                s.image(),
                s.port(),
                s.idleTimeout(),
                s.storageSize(),
                s.storageClass(),
                s.resources(),
                "collab-session",
                s.runAsUser(),
                s.startTimeout(),
                s.maxRunning(),
                s.maxRunningPerOwner(),
                s.busyMax(),
                s.drainMax(),
                s.allowEnvValueFrom(),
                s.gateway());
    }

    /** A credential Secret opted in for sessions of `owner`. */
    Secret credentials(String name, String owner) {
        Secret secret = new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NS)
                .withLabels(CollabLabels.credentialSecretLabels(owner))
                .endMetadata()
                .withStringData(Map.of("auth.json", "{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-test\"}}"))
                .build();
        return admin.secrets().resource(secret).createOr(existing -> existing.update());
    }

    CollabSession create(String name, CollabSessionSpec spec) {
        return admin.resources(CollabSession.class)
                .resource(new CollabSession(NS, name, spec))
                .create();
    }

    CollabSession session(String name) {
        return admin.resources(CollabSession.class)
                .inNamespace(NS)
                .withName(name)
                .get();
    }

    CollabSession awaitSession(String name, Predicate<CollabSession> condition) {
        try {
            await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
                CollabSession s = session(name);
                return s != null && condition.test(s);
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(
                    "session " + name + " never reached the expected state; last seen: "
                            + Serialization.asYaml(session(name)),
                    e);
        }
        return session(name);
    }

    @Override
    public void close() {
        operator.stop();
        kubelet.close();
    }
}

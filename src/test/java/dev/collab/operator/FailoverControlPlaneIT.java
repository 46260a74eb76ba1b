package dev.collab.operator;

import static dev.collab.operator.OperatorOnControlPlane.NS;
import static dev.collab.operator.OperatorOnControlPlane.OPERATOR_USER;
import static dev.collab.operator.OperatorOnControlPlane.SYSTEM_NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.SessionPhase;
import dev.collab.testing.AuditLog;
import dev.collab.testing.CollabInstall;
import dev.collab.testing.ControlPlane;
import dev.collab.testing.ControlPlaneExtension;
import dev.collab.testing.PackagedApp;
import dev.collab.testing.StatusSubresourceKubelet;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Failover on real Leases: two packaged operators (identity: the collab-operator ServiceAccount, deploy/'s RBAC);
 * the leader is SIGKILLed while 500 sessions are being created. The standby takes the Lease within its duration,
 * every session ends Running (pods started by a FAKE kubelet writing pod status), and the audit log shows every
 * child created once and no access Secret rewritten.
 */
@ExtendWith(ControlPlaneExtension.class)
class FailoverControlPlaneIT {
    static final int SESSIONS = 500;
    static final Duration LEASE_DURATION = Duration.ofSeconds(15); // JOSDK's default, used by OperatorStarter

    @Test
    void standbyTakesOverWhileSessionsAreCreated(ControlPlane plane) throws Exception {
        dev.collab.testing.Tiers.assumeAvailable(
                PackagedApp.built(), "target/quarkus-app missing: run the package phase first");
        CollabInstall.deployRbac(plane);
        KubernetesClient admin = plane.admin();
        // one credential Secret per owner: the operator uses a Secret only for the owner it is opted in for
        for (int owner = 0; owner < 50; owner++) {
            admin.secrets()
                    .inNamespace(NS)
                    .resource(new SecretBuilder()
                            .withNewMetadata()
                            .withName("fo-credentials-" + owner)
                            .withLabels(CollabLabels.credentialSecretLabels("owner-" + owner))
                            .endMetadata()
                            .withStringData(Map.of("auth.json", "{}"))
                            .build())
                    .createOr(s -> s.update());
        }
        long mark = plane.auditLog().mark();
        Map<String, String> props = Map.of(
                "collab.role",
                "operator",
                "collab.namespaces",
                NS,
                "collab.session.service-account-name",
                "collab-session",
                // as deploy/ and the chart do: unset, each operator would name its own HTTP port as the gateway, and
                // the standby would replace every Gateway-mode pod its predecessor made (a different pod spec)
                "collab.gateway.url",
                "http://collab-gateway.collab-system:8080",
                "collab.gateway.egress.url",
                "http://collab-gateway.collab-system:3128");
        try (StatusSubresourceKubelet kubelet = new StatusSubresourceKubelet(admin, NS);
                PackagedApp a = PackagedApp.start(
                        plane, "operator-a", plane.token(SYSTEM_NS, "collab-operator"), SYSTEM_NS, props);
                PackagedApp b = PackagedApp.start(
                        plane, "operator-b", plane.token(SYSTEM_NS, "collab-operator"), SYSTEM_NS, props)) {
            ExecutorService creators = Executors.newFixedThreadPool(8);
            String leader = awaitHolder(admin, null);
            PackagedApp leaderApp = leader.equals("operator-a") ? a : b;

            List<Future<?>> created = new ArrayList<>();
            IntStream.range(0, SESSIONS)
                    .forEach(i -> created.add(creators.submit(() -> admin.resources(CollabSession.class)
                            .resource(new CollabSession(
                                    NS,
                                    "fo-" + i,
                                    new CollabSessionSpec("owner-" + (i % 50), "fo-credentials-" + (i % 50))))
                            .create())));
            await().atMost(Duration.ofMinutes(2)).until(() -> running(admin) >= SESSIONS / 5);
            long killedAt = System.nanoTime();
            leaderApp.kill();
            String next = awaitHolder(admin, leader);
            Duration takeover = Duration.ofNanos(System.nanoTime() - killedAt);
            for (Future<?> f : created) {
                f.get(2, TimeUnit.MINUTES);
            }
            creators.shutdown();
            await().atMost(Duration.ofMinutes(5))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> running(admin) == SESSIONS);

            System.out.printf(
                    "failover: %s killed with %d/%d sessions Running; %s held the Lease after %d ms%n",
                    leader, SESSIONS / 5, SESSIONS, next, takeover.toMillis());
            assertThat(takeover).as("takeover after SIGKILL").isLessThan(LEASE_DURATION.plusSeconds(5));
            assertChildrenCreatedOnce(plane.auditLog(), mark);
            assertThat(plane.auditLog().forbidden(mark, OPERATOR_USER)).isEmpty();
            assertThat((leader.equals("operator-a") ? b : a).log()).doesNotContain("is forbidden");
        } finally {
            // The other classes share the namespace: leave no 500 sessions for their operators to reconcile.
            IntStream.range(0, SESSIONS)
                    .forEach(i -> admin.resources(CollabSession.class)
                            .inNamespace(NS)
                            .withName("fo-" + i)
                            .delete());
            // ... nor 2,000 children in the garbage collector's queue, ahead of the next class's deletions.
            await().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofSeconds(2))
                    .until(() -> admin.pods().inNamespace(NS).list().getItems().stream()
                            .noneMatch(p -> p.getMetadata().getName().startsWith("fo-")));
        }
    }

    static long running(KubernetesClient admin) {
        return admin.resources(CollabSession.class).inNamespace(NS).list().getItems().stream()
                .filter(s -> s.getMetadata().getName().startsWith("fo-"))
                .filter(s -> s.getStatus() != null && s.getStatus().getPhase() == SessionPhase.Running)
                .count();
    }

    /** Waits until the operator Lease has a holder other than {@code previous}. */
    static String awaitHolder(KubernetesClient admin, String previous) {
        String[] holder = {null};
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    Lease lease = admin.leases()
                            .inNamespace(SYSTEM_NS)
                            .withName(OperatorStarter.LEASE_NAME)
                            .get();
                    holder[0] = lease == null ? null : lease.getSpec().getHolderIdentity();
                    return holder[0] != null && !holder[0].equals(previous);
                });
        return holder[0];
    }

    static void assertChildrenCreatedOnce(AuditLog audit, long mark) {
        List<AuditLog.Event> writes =
                audit.writes(mark, e -> e.by(OPERATOR_USER) && e.name().startsWith("fo-"));
        Map<String, Long> creates = writes.stream()
                .filter(e -> e.verb().equals("create") && e.code() == 201)
                .filter(e -> e.subresource().isEmpty()
                        && List.of("pods", "secrets", "persistentvolumeclaims").contains(e.resource()))
                .collect(Collectors.groupingBy(e -> e.resource() + "/" + e.name(), Collectors.counting()));
        // per session: a pod, a HOME claim, its access Secret and, in Gateway mode (the default), its gateway-home
        Map<String, Integer> perSession = Map.of("pods/", 1, "secrets/", 2, "persistentvolumeclaims/", 1);
        perSession.forEach((kind, n) -> assertThat(creates.keySet().stream()
                        .filter(k -> k.startsWith(kind))
                        .count())
                .as(kind)
                .isEqualTo((long) SESSIONS * n));
        assertThat(creates)
                .as("children created more than once")
                .allSatisfy((k, n) -> assertThat(n).isEqualTo(1L));
        assertThat(writes.stream()
                        .filter(e -> e.resource().equals("secrets") && !e.verb().equals("create")))
                .as("access Secrets rewritten")
                .isEmpty();
        Function<AuditLog.Event, String> key = e -> e.verb() + " " + e.resource() + " " + e.code();
        System.out.println("failover: operator writes "
                + writes.stream().collect(Collectors.groupingBy(key, java.util.TreeMap::new, Collectors.counting())));
    }
}

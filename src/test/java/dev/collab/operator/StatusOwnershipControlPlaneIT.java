package dev.collab.operator;

import static dev.collab.operator.OperatorOnControlPlane.NS;
import static dev.collab.operator.OperatorOnControlPlane.OPERATOR_USER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.SessionPhase;
import dev.collab.api.SessionUsage;
import dev.collab.testing.ControlPlane;
import dev.collab.testing.ControlPlaneExtension;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 30, item 10 on the real API server: status.usage belongs to the credential gateway, the rest of the status to
 * the operator. While the operator patches the status as fast as activity changes it, a FAKE gateway (this test: the
 * gateway's write, a status update guarded by the resourceVersion it read, read again on 409) adds one request at a
 * time; no addition may be lost, whatever the operator's patches and their conflict retries do.
 */
@ExtendWith(ControlPlaneExtension.class)
class StatusOwnershipControlPlaneIT {
    static OperatorOnControlPlane env;

    @BeforeAll
    static void startOperator(ControlPlane plane) {
        env = new OperatorOnControlPlane(plane, OperatorSettings.defaults());
    }

    @AfterAll
    static void stopOperator() {
        if (env != null) {
            env.close();
        }
    }

    @Test
    void operatorStatusPatchesNeverRollBackTheGatewaysUsage(ControlPlane plane) throws Exception {
        env.credentials("usage-credentials", "ursula");
        CollabSessionSpec spec = new CollabSessionSpec("ursula", "usage-credentials");
        spec.setIdleTimeout("0");
        env.create("usage", spec);
        env.awaitSession("usage", s -> s.getStatus() != null && s.getStatus().getPhase() == SessionPhase.Running);
        long mark = plane.auditLog().mark();

        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger activityWrites = new AtomicInteger();
        // the router's part, sped up: every activity annotation changes status.lastActivityTime, so the operator
        // patches the status again and again while the gateway writes
        Thread activity = new Thread(() -> {
            Instant at = Instant.now();
            while (!done.get()) {
                at = at.plusSeconds(1);
                try {
                    env.admin
                            .resources(CollabSession.class)
                            .inNamespace(NS)
                            .withName("usage")
                            .patch(
                                    PatchContext.of(PatchType.JSON_MERGE),
                                    "{\"metadata\":{\"annotations\":{\"" + CollabLabels.LAST_ACTIVITY + "\":\"" + at
                                            + "\"}}}");
                    activityWrites.incrementAndGet();
                    Thread.sleep(15);
                } catch (InterruptedException e) {
                    return;
                } catch (KubernetesClientException e) {
                    // keep going
                }
            }
        });
        activity.start();
        int added = 0;
        try {
            for (int i = 0; i < 150; i++) {
                addOneRequest(env.admin);
                added++;
            }
        } finally {
            done.set(true);
            activity.join();
        }
        env.awaitSession("usage", s -> s.getStatus().getLastActivityTime() != null);
        // let the operator settle on the last activity, then read what the status holds
        await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(30)).until(() -> true);
        CollabSession settled = env.session("usage");
        var operatorStatusWrites = plane.auditLog()
                .writes(mark, e -> e.by(OPERATOR_USER) && "usage".equals(e.name()) && "status".equals(e.subresource()));
        System.out.printf(
                "status ownership: %d activity writes, %d operator status writes (%d answered 409), %d usage additions%n",
                activityWrites.get(),
                operatorStatusWrites.size(),
                operatorStatusWrites.stream().filter(e -> e.code() == 409).count(),
                added);
        assertThat(operatorStatusWrites.size())
                .as("the operator patched the status while the gateway wrote")
                .isGreaterThan(10);
        assertThat(settled.getStatus().getUsage().getRequests())
                .as("every request the gateway added is still counted")
                .isEqualTo(added);
    }

    /** The FAKE gateway's write, as UsageLedger makes it: read, add, update with that resourceVersion; 409: again. */
    private static void addOneRequest(KubernetesClient client) {
        for (int attempt = 0; attempt < 50; attempt++) {
            CollabSession cs = client.resources(CollabSession.class)
                    .inNamespace(NS)
                    .withName("usage")
                    .get();
            SessionUsage old = cs.getStatus().getUsage() == null
                    ? new SessionUsage()
                    : cs.getStatus().getUsage();
            cs.getStatus()
                    .setUsage(new SessionUsage(
                            old.getRequests() + 1, 0, 0, 0, 0, Instant.now().toString()));
            try {
                client.resources(CollabSession.class)
                        .inNamespace(NS)
                        .resource(cs)
                        .updateStatus();
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
            }
        }
        throw new AssertionError("the fake gateway lost 50 races in a row");
    }
}

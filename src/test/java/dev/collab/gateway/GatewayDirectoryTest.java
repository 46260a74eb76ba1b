package dev.collab.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CollabSessionStatus;
import dev.collab.api.CredentialsMode;
import dev.collab.api.Placeholders;
import dev.collab.api.SessionPhase;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The directory's placeholder index while it is rebuilt (issue 30 item 16): a thread looks up every session's
 * placeholder without pause while the Fabric8 mock API server (CRUD) delivers updates of the key Secret (same key,
 * another annotation: a re-index of every session) and of the sessions themselves (status writes, as the usage flush
 * makes). No valid placeholder may be missing at any moment.
 */
@EnableKubernetesMockClient(crud = true)
class GatewayDirectoryTest {
    static KubernetesMockServer server;
    static KubernetesClient client;

    private static final int SESSIONS = 60;

    @Test
    void validPlaceholdersStayFoundWhileSessionsAndTheKeyAreReindexed() throws Exception {
        PoolGatewayFixture.prepareCluster(server, client);
        List<String> placeholders = new ArrayList<>();
        for (int i = 0; i < SESSIONS; i++) {
            placeholders.add(
                    Placeholders.access(PoolGatewayFixture.KEY, PoolGatewayFixture.NS, "s" + i, session("s" + i, 0)));
        }
        GatewaySettings settings = settings();
        try (GatewayDirectory directory = new GatewayDirectory(client, settings)) {
            directory.start();
            PoolGatewayFixture.await(
                    "every session indexed", () -> directory.synced() && directory.gatewaySessions() == SESSIONS);

            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong lookups = new AtomicLong();
            AtomicLong misses = new AtomicLong();
            Thread looker = new Thread(() -> {
                while (running.get()) {
                    for (String p : placeholders) {
                        lookups.incrementAndGet();
                        if (directory.byPlaceholder(p).isEmpty()) {
                            misses.incrementAndGet();
                        }
                    }
                }
            });
            looker.start();
            try {
                for (int round = 1; round <= 15; round++) {
                    touchKeySecret(round);
                    for (int i = 0; i < SESSIONS; i += 6) {
                        touchStatus("s" + i, round);
                    }
                }
                String last = "s" + (SESSIONS - 6);
                PoolGatewayFixture.await(
                        "the last update seen",
                        () -> directory
                                .session(PoolGatewayFixture.NS, last)
                                .map(cs -> cs.getStatus().getMessage())
                                .filter("round 15"::equals)
                                .isPresent());
                Thread.sleep(200); // the key Secret's last events too
            } finally {
                running.set(false);
                looker.join();
            }
            assertThat(lookups.get()).isGreaterThan(10_000);
            assertThat(misses.get())
                    .as("lookups of valid placeholders that missed during re-indexing")
                    .isZero();
            assertThat(directory.gatewaySessions()).isEqualTo(SESSIONS);
        }
    }

    /**
     * Issue 29: a warm worker's placeholder (bound to the worker, made before any session) is accepted only while a
     * Gateway-mode session's status names that worker as its pod, and stops working when it no longer does.
     */
    @Test
    void aWarmWorkersPlaceholderServesOnlyTheSessionWhoseStatusNamesTheWorker() throws Exception {
        PoolGatewayFixture.prepareCluster(server, client);
        GatewaySettings settings = settings();
        String claimed = Placeholders.warmAccess(PoolGatewayFixture.KEY, PoolGatewayFixture.NS, "default-bcdfg");
        String unclaimed = Placeholders.warmAccess(PoolGatewayFixture.KEY, PoolGatewayFixture.NS, "default-cdfgh");
        String own = Placeholders.access(
                PoolGatewayFixture.KEY, PoolGatewayFixture.NS, "warm", session("warm", 0, "default-bcdfg"));
        try (GatewayDirectory directory = new GatewayDirectory(client, settings)) {
            directory.start();
            PoolGatewayFixture.await(
                    "the claim indexed", () -> directory.byPlaceholder(claimed).isPresent());
            assertThat(directory.byPlaceholder(claimed).orElseThrow().name()).isEqualTo("warm");
            assertThat(directory.byPlaceholder(claimed).orElseThrow().podIp()).isEqualTo("127.0.0.1");
            assertThat(directory.byPlaceholder(own)).isPresent();
            assertThat(directory.byPlaceholder(unclaimed))
                    .as("a worker no session claimed")
                    .isEmpty();

            touchStatus("warm", 1, "warm"); // a pod of its own now (woken after an idle stop)
            PoolGatewayFixture.await(
                    "the worker's placeholder dropped",
                    () -> directory.byPlaceholder(claimed).isEmpty());
            assertThat(directory.byPlaceholder(own)).isPresent();

            touchStatus("warm", 2, "default-bcdfg");
            PoolGatewayFixture.await(
                    "claimed again", () -> directory.byPlaceholder(claimed).isPresent());
            client.resources(CollabSession.class)
                    .inNamespace(PoolGatewayFixture.NS)
                    .withName("warm")
                    .delete();
            PoolGatewayFixture.await(
                    "both placeholders gone with the session",
                    () -> directory.byPlaceholder(claimed).isEmpty()
                            && directory.byPlaceholder(own).isEmpty());
        }
    }

    /** The directory's settings: one namespace, the fixture's key Secret, no upstream it would call. */
    private static GatewaySettings settings() {
        return new GatewaySettings(
                List.of(PoolGatewayFixture.NS),
                PoolGatewayFixture.KEY_NS,
                "collab-gateway-key",
                URI.create("http://127.0.0.1:1"),
                true,
                CredentialsMode.Seeded,
                Duration.ofSeconds(60),
                Duration.ofSeconds(10));
    }

    private static String session(String name, int round) {
        return session(name, round, null);
    }

    private static String session(String name, int round, String pod) {
        CollabSessionSpec spec = new CollabSessionSpec("ann@example.com", name + "-creds");
        spec.getCredentials().setMode(CredentialsMode.Gateway);
        CollabSession created = client.resource(new CollabSession(PoolGatewayFixture.NS, name, spec))
                .create();
        touchStatus(name, round, pod);
        return created.getMetadata().getUid();
    }

    private static void touchStatus(String name, int round) {
        touchStatus(name, round, null);
    }

    private static void touchStatus(String name, int round, String pod) {
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace(PoolGatewayFixture.NS)
                .withName(name)
                .get();
        CollabSessionStatus status = new CollabSessionStatus();
        status.setPhase(SessionPhase.Running);
        status.setEndpoint("http://127.0.0.1:4096");
        status.setMessage("round " + round);
        status.setPodName(pod);
        cs.setStatus(status);
        client.resource(cs).updateStatus();
    }

    /** The same key under a changed annotation: an informer update the directory handles as a key event. */
    private static void touchKeySecret(int round) {
        Secret key = client.secrets()
                .inNamespace(PoolGatewayFixture.KEY_NS)
                .withName("collab-gateway-key")
                .get();
        client.secrets()
                .inNamespace(PoolGatewayFixture.KEY_NS)
                .resource(new SecretBuilder(key)
                        .editMetadata()
                        .addToAnnotations("test/round", Integer.toString(round))
                        .endMetadata()
                        .build())
                .update();
    }
}

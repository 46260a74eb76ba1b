package dev.collab.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CredentialsMode;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The usage ledger when status writes fail (issue 30 item 15). Faked: the API server is the Fabric8 mock (CRUD, with
 * one-shot 503 answers where a test needs a failed write), a closed Fabric8 client (as after JOSDK's stop closed it),
 * and an API server address where nothing listens (unreachable). The directory is not started, so the ledger reads
 * each session from the API.
 */
@EnableKubernetesMockClient(crud = true)
class UsageLedgerTest {
    static KubernetesMockServer server;
    static KubernetesClient client;

    private static final String NS = "team";
    private static final Duration BOUND = Duration.ofSeconds(10);
    private static final GatewayDirectory.Target A = target("a");
    private static final GatewayDirectory.Target B = target("b");
    private static final GatewayDirectory.Target C = target("c");

    @Test
    void aClosedClientEndsTheFlushAndKeepsEveryDelta() {
        KubernetesClient closed = new KubernetesClientBuilder()
                .withConfig(client.getConfiguration())
                .build();
        closed.close();
        UsageLedger ledger = ledger(closed);
        Map<String, Long> expected = recordMany(ledger);
        // the old loop merged a failed delta back into the map it iterated and could meet it again: never ended
        assertTimeoutPreemptively(BOUND, ledger::flush, "flush with a closed client");
        assertThat(ledger.pendingRequests()).isEqualTo(expected);
        assertTimeoutPreemptively(BOUND, ledger::close, "shutdown with a closed client");
    }

    @Test
    void anUnreachableApiServerEndsTheFlushAndKeepsEveryDelta() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort(); // free a moment ago: connections are refused
        }
        Config config = new ConfigBuilder()
                .withMasterUrl("http://127.0.0.1:" + deadPort)
                .withRequestRetryBackoffLimit(0)
                .withConnectionTimeout(1_000)
                .build();
        try (KubernetesClient unreachable =
                new KubernetesClientBuilder().withConfig(config).build()) {
            UsageLedger ledger = ledger(unreachable);
            Map<String, Long> expected = recordMany(ledger);
            assertTimeoutPreemptively(BOUND, ledger::flush, "flush with the API server unreachable");
            assertThat(ledger.pendingRequests()).isEqualTo(expected);
        }
    }

    @Test
    void aFailedWriteIsAddedToTheNextFlush() {
        PoolGatewayFixture.prepareCluster(server, client);
        for (String name : List.of("a", "b", "c")) {
            session(name);
        }
        server.expect()
                .put()
                .withPath("/apis/" + CollabSession.GROUP + "/" + CollabSession.VERSION + "/namespaces/" + NS + "/"
                        + CollabSession.PLURAL + "/b/status")
                .andReturn(503, "{}")
                .once();
        // without the client's own retries: one 503 is one failed write
        KubernetesClient noRetries = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder(client.getConfiguration())
                        .withRequestRetryBackoffLimit(0)
                        .build())
                .build();
        UsageLedger ledger = ledger(noRetries);
        recordAll(ledger);
        ledger.flush();
        assertThat(ledger.pendingRequests()).isEqualTo(Map.of("team/b", 1L));
        assertThat(requests("a")).isEqualTo(2);
        ledger.record(B, "spare", new Usage("m", 5, 6, 0, 0));
        ledger.flush();
        assertThat(ledger.pendingRequests()).isEmpty();
        assertThat(requests("b"))
                .as("the failed delta and the new one, in one write")
                .isEqualTo(2);
        assertThat(client.resources(CollabSession.class)
                        .inNamespace(NS)
                        .withName("b")
                        .get()
                        .getStatus()
                        .getUsage()
                        .getOutputTokens())
                .isEqualTo(6 + 2);
        var usage = client.resources(CollabSession.class)
                .inNamespace(NS)
                .withName("b")
                .get()
                .getStatus()
                .getUsage();
        assertThat(usage.getLastAccount())
                .as("which account served the latest request")
                .isEqualTo("spare");
        assertThat(usage.getAccounts())
                .as("the session's requests and tokens by account")
                .isEqualTo(Map.of(
                        "work", new dev.collab.api.AccountUsage(1, 1, 2),
                        "spare", new dev.collab.api.AccountUsage(1, 5, 6)));
        noRetries.close();
    }

    private static void recordAll(UsageLedger ledger) {
        ledger.record(A, "work", new Usage("m", 1, 2, 0, 0));
        ledger.record(A, "work", null);
        ledger.record(B, "work", new Usage("m", 1, 2, 0, 0));
        ledger.record(C, "work", new Usage("m", 1, 2, 0, 0));
    }

    /**
     * Many sessions pending: keys that share a hash bin are what made the old loop revisit a merged-back delta
     * without end (as in a real namespace with a few dozen sessions).
     */
    private static Map<String, Long> recordMany(UsageLedger ledger) {
        Map<String, Long> expected = new java.util.TreeMap<>();
        for (int i = 0; i < 40; i++) {
            ledger.record(target("s" + i), "work", new Usage("m", 1, 2, 0, 0));
            expected.put("team/s" + i, 1L);
        }
        return expected;
    }

    private static long requests(String name) {
        CollabSession cs = client.resources(CollabSession.class)
                .inNamespace(NS)
                .withName(name)
                .get();
        return cs.getStatus().getUsage() == null ? 0 : cs.getStatus().getUsage().getRequests();
    }

    private static void session(String name) {
        CollabSessionSpec spec = new CollabSessionSpec("ann@example.com", name + "-creds");
        spec.getCredentials().setMode(CredentialsMode.Gateway);
        RunningSessions.create(client, NS, name, spec, null);
    }

    private static UsageLedger ledger(KubernetesClient c) {
        GatewaySettings settings = new GatewaySettings(
                List.of(NS),
                "collab-system",
                "collab-gateway-key",
                URI.create("http://127.0.0.1:1"),
                true,
                CredentialsMode.Seeded,
                Duration.ofSeconds(60),
                Duration.ofSeconds(10));
        return new UsageLedger(
                c,
                new GatewayDirectory(c, settings),
                new GatewayMetrics(new SimpleMeterRegistry()),
                settings.prices(),
                Clock.systemUTC(),
                () -> {});
    }

    private static GatewayDirectory.Target target(String name) {
        return new GatewayDirectory.Target(NS, name, "ann-example.com", name + "-creds", null, null);
    }
}

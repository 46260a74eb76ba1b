package dev.collab.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.CredentialsMode;
import dev.collab.api.Placeholders;
import dev.collab.local.FakeAnthropic;
import dev.collab.testing.ControlPlane;
import dev.collab.testing.Kubectl;
import dev.collab.testing.node.CollabRelease;
import dev.collab.testing.node.NodeCluster;
import dev.collab.testing.node.NodeExtension;
import dev.collab.testing.node.NodeSessions;
import io.fabric8.kubernetes.api.model.Pod;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The chart on a real node: the images built here, the operator, router and gateway as pods under their own
 * ServiceAccounts, sessions as real containers running real opencode from the session image, on real local PVCs, with
 * NetworkPolicies enforced by kube-router. FAKE: the Anthropic provider (a loopback-style HTTP server on the host's
 * address, port 443), which records the key of every request.
 */
@ExtendWith(NodeExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CollabOnNodeIT {
    static final String KEY_SEEDED_A = "sk-ant-node-seeded-a-0001";
    static final String KEY_SEEDED_B = "sk-ant-node-seeded-b-0002";
    static final String KEY_GW_A = "sk-ant-node-gateway-a-0003";
    static final String KEY_GW_B = "sk-ant-node-gateway-b-0004";
    static final List<String> KEYS = List.of(KEY_SEEDED_A, KEY_SEEDED_B, KEY_GW_A, KEY_GW_B);
    static final Duration START = Duration.ofMinutes(4);

    NodeCluster cluster;
    FakeAnthropic provider;
    NodeSessions sessions;

    @BeforeAll
    void install(NodeCluster cluster) throws Exception {
        this.cluster = cluster;
        String host = cluster.node().layout().address();
        provider = new FakeAnthropic(new InetSocketAddress(host, 443));
        sessions = new NodeSessions(cluster, "http://" + host + ":443");
        cluster.plane().ensureNamespace(CollabRelease.SYSTEM, ControlPlane.restricted());
        CollabRelease.install(
                cluster, CollabRelease.values(cluster, cluster.images().app(), "http://" + host + ":443"));
    }

    @AfterAll
    void stopProvider() {
        if (provider != null) {
            provider.close();
        }
    }

    @Test
    @Order(1)
    void everyRoleRunsAsAPodUnderItsOwnServiceAccount() {
        for (String app : List.of("collab-operator", "collab-router", "collab-gateway")) {
            List<Pod> pods = cluster.admin()
                    .pods()
                    .inNamespace(CollabRelease.SYSTEM)
                    .withLabel("app.kubernetes.io/name", app)
                    .list()
                    .getItems();
            assertThat(pods).as(app).isNotEmpty();
            for (Pod pod : pods) {
                assertThat(pod.getSpec().getServiceAccountName()).isEqualTo(app);
                assertThat(pod.getStatus().getContainerStatuses()).allMatch(c -> Boolean.TRUE.equals(c.getReady()));
            }
        }
        assertThat(cluster.admin()
                        .namespaces()
                        .withName(CollabRelease.SESSIONS)
                        .get()
                        .getMetadata()
                        .getLabels())
                .containsEntry("pod-security.kubernetes.io/enforce", "restricted");
    }

    @Test
    @Order(2)
    void eachSessionAnswersWithItsOwnKeyOnlyAndGatewayPodsHoldPlaceholders() throws Exception {
        sessions.create("seeded-a", "ann@example.com", KEY_SEEDED_A, CredentialsMode.Seeded, null);
        sessions.create("seeded-b", "ben@example.com", KEY_SEEDED_B, CredentialsMode.Seeded, null);
        sessions.create("gw-a", "gia@example.com", KEY_GW_A, CredentialsMode.Gateway, null);
        sessions.create("gw-b", "gus@example.com", KEY_GW_B, CredentialsMode.Gateway, null);
        Map<String, String> keyOf =
                Map.of("seeded-a", KEY_SEEDED_A, "seeded-b", KEY_SEEDED_B, "gw-a", KEY_GW_A, "gw-b", KEY_GW_B);
        for (String name : keyOf.keySet()) {
            sessions.await(name, NodeSessions::running, START);
        }
        for (String name : keyOf.keySet()) {
            assertThat(sessions.prompt(name)).contains(FakeAnthropic.text());
        }
        String gatewayIp = cluster.admin()
                .pods()
                .inNamespace(CollabRelease.SYSTEM)
                .withLabel("app.kubernetes.io/name", "collab-gateway")
                .list()
                .getItems()
                .get(0)
                .getStatus()
                .getPodIP();
        for (var e : keyOf.entrySet()) {
            var mine = provider.requests().stream()
                    .filter(r -> r.mentions("Say hello to " + e.getKey()))
                    .toList();
            assertThat(mine).as("provider requests of %s", e.getKey()).isNotEmpty();
            assertThat(mine)
                    .as("keys of %s", e.getKey())
                    .allMatch(r -> e.getValue().equals(r.apiKey()));
            String podIp = cluster.admin()
                    .pods()
                    .inNamespace(CollabRelease.SESSIONS)
                    .withName(e.getKey())
                    .get()
                    .getStatus()
                    .getPodIP();
            String expectedSource = e.getKey().startsWith("gw-") ? gatewayIp : podIp;
            assertThat(mine).as("sender of %s", e.getKey()).allMatch(r -> expectedSource.equals(r.remote()));
        }
        for (String name : List.of("gw-a", "gw-b")) {
            // what the agent could read: its whole HOME, the mounted files, every process's environment
            Kubectl.Result scan = sessions.exec(
                    name,
                    "grep -rl -e " + String.join(" -e ", KEYS) + " $HOME /tmp /etc /proc/[0-9]*/environ 2>/dev/null;"
                            + " grep -rl '" + Placeholders.PREFIX + "' $HOME | head -1");
            assertThat(scan.out())
                    .as("files with a real key, then one with a placeholder")
                    .doesNotContain("sk-ant-node")
                    .contains("/");
            for (String key : KEYS) {
                assertThat(scan.out()).doesNotContain(key);
            }
        }
    }

    @Test
    @Order(3)
    void logsOfEveryRoleShowNoErrorAndNoSecret() {
        for (String app : List.of("collab-operator", "collab-router", "collab-gateway")) {
            String logs = cluster.kubectl()
                    .run(
                            "logs",
                            "-n",
                            CollabRelease.SYSTEM,
                            "-l",
                            "app.kubernetes.io/name=" + app,
                            "--tail=-1",
                            "--all-containers",
                            "--prefix")
                    .orFail();
            assertThat(logs).as("logs of %s", app).isNotBlank().doesNotContain(" ERROR ");
            assertThat(logs).doesNotContain(CollabRelease.ADMIN_TOKEN).doesNotContain(Placeholders.PREFIX);
            for (String key : KEYS) {
                assertThat(logs).doesNotContain(key);
            }
        }
    }

    static String host(String url) {
        return URI.create(url).getHost();
    }
}

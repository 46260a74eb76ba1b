package dev.collab.operator;

import static dev.collab.operator.OperatorHarness.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CredentialsMode;
import dev.collab.api.Placeholders;
import dev.collab.api.SessionPhase;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The operator in Gateway mode against the Fabric8 mock API (CRUD) with the fake kubelet: the gateway key is created
 * once, the pod mounts only the placeholder Secret, and a new key of the same shape does not replace the pod.
 */
class GatewayModeOperatorTest {
    private OperatorHarness h;

    @BeforeEach
    void start() {
        h = new OperatorHarness(OperatorSettings.defaults()
                .withGateway(GatewayLink.defaults().withDefaultMode(CredentialsMode.Gateway)));
    }

    @AfterEach
    void stop() {
        h.close();
    }

    @Test
    void gatewayModePodsHoldPlaceholdersAndSurviveAKeyUpload() {
        h.credentials(
                "alice-creds", Map.of("auth.json", "{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-ant-REAL-1\"}}"));
        CollabSession cs = h.create("alice", "alice", "alice-creds");
        h.awaitSession("alice", s -> s.getStatus() != null && s.getStatus().getPhase() == SessionPhase.Running);
        Pod pod = h.client.pods().inNamespace(NS).withName("alice").get();
        assertThat(Serialization.asJson(pod.getSpec()))
                .doesNotContain("alice-creds")
                .doesNotContain("REAL");
        assertThat(pod.getMetadata().getLabels())
                .containsEntry(CollabLabels.CREDENTIALS_MODE, CollabLabels.CREDENTIALS_MODE_GATEWAY);

        Secret key = h.client
                .secrets()
                .inNamespace(h.client.getNamespace())
                .withName("collab-gateway-key")
                .get();
        byte[] gatewayKey = Placeholders.keyFrom(key);
        assertThat(gatewayKey).hasSize(32);
        Secret home = h.client
                .secrets()
                .inNamespace(NS)
                .withName("alice-gateway-home")
                .get();
        String auth = new String(Base64.getDecoder().decode(home.getData().get("auth.json")), StandardCharsets.UTF_8);
        assertThat(auth)
                .contains(Placeholders.access(
                        gatewayKey, NS, "alice", cs.getMetadata().getUid()))
                .doesNotContain("REAL");
        assertThat(home.getMetadata().getOwnerReferences())
                .singleElement()
                .satisfies(
                        o -> assertThat(o.getUid()).isEqualTo(cs.getMetadata().getUid()));

        String podUid = pod.getMetadata().getUid();
        h.credentials(
                "alice-creds", Map.of("auth.json", "{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-ant-REAL-2\"}}"));
        // the Secret event reconciles at once; the same pod for two seconds after it
        await().during(java.time.Duration.ofSeconds(2))
                .atMost(java.time.Duration.ofSeconds(5))
                .until(() -> {
                    Pod now = h.client.pods().inNamespace(NS).withName("alice").get();
                    return now != null && podUid.equals(now.getMetadata().getUid());
                });

        // a new key file (oauth added) changes the placeholder files: the operator updates them and replaces the pod
        h.credentials(
                "alice-creds",
                Map.of(
                        "auth.json",
                        "{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-ant-REAL-2\"}}",
                        "claude-credentials.json",
                        "{\"claudeAiOauth\":{\"accessToken\":\"sk-ant-oat-REAL\",\"expiresAt\":1}}"));
        await().atMost(OperatorHarness.WAIT)
                .until(() -> h.client
                        .secrets()
                        .inNamespace(NS)
                        .withName("alice-gateway-home")
                        .get()
                        .getData()
                        .containsKey("claude-credentials.json"));
        await().atMost(OperatorHarness.WAIT).until(() -> {
            Pod now = h.client.pods().inNamespace(NS).withName("alice").get();
            return now != null && !podUid.equals(now.getMetadata().getUid());
        });
        // the key is created once: a second session uses the same one
        CollabSessionSpec seeded = new CollabSessionSpec("alice", "alice-creds"); // same owner: may use the Secret
        seeded.getCredentials().setMode(CredentialsMode.Seeded);
        h.create("bob", seeded);
        h.awaitSession("bob", s -> s.getStatus() != null && s.getStatus().getPhase() == SessionPhase.Running);
        assertThat(h.client
                        .pods()
                        .inNamespace(NS)
                        .withName("bob")
                        .get()
                        .getSpec()
                        .getVolumes())
                .filteredOn(v -> v.getSecret() != null)
                .extracting(v -> v.getSecret().getSecretName())
                .containsExactly("alice-creds");
        assertThat(h.client
                        .secrets()
                        .inNamespace(NS)
                        .withName("bob-gateway-home")
                        .get())
                .isNull();
        assertThat(Placeholders.keyFrom(h.client
                        .secrets()
                        .inNamespace(h.client.getNamespace())
                        .withName("collab-gateway-key")
                        .get()))
                .isEqualTo(gatewayKey);
    }
}

package dev.collab.operator;

import static dev.collab.operator.OperatorHarness.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionPoolSpec;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CredentialsMode;
import dev.collab.api.Placeholders;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 29 on the Fabric8 mock API server (CRUD) with the fake kubelet: a pool in Gateway mode (the default) starts
 * workers that already hold the gateway's base URL, egress proxy and a placeholder bound to the worker; a Gateway-mode
 * session claims one and is published at once, with nothing handed to opencode (the fake credential API,
 * {@link RecordingDelivery}, records no call). The gateway's side of the claim is in GatewayDirectoryTest.
 */
class GatewayWarmClaimTest {
    private static final String API_KEY = "{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-ant-REAL-warm\"}}";
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
    void aGatewayPoolsWorkersHoldOnlyTheirOwnPlaceholderAndTheGatewaysVariables() {
        h.createPool("default", new CollabSessionPoolSpec(1));
        Pod pod = awaitWarm(1).get(0);
        String worker = pod.getMetadata().getName();
        assertThat(pod.getMetadata().getLabels())
                .containsEntry(CollabLabels.CREDENTIALS_MODE, CollabLabels.CREDENTIALS_MODE_GATEWAY);
        assertThat(pod.getSpec().getVolumes())
                .anyMatch(v ->
                        v.getSecret() != null && v.getSecret().getSecretName().equals(worker + "-gateway-home"));
        List<EnvVar> env = pod.getSpec().getContainers().get(0).getEnv();
        assertThat(env)
                .filteredOn(e -> e.getName().equals("ANTHROPIC_BASE_URL"))
                .singleElement()
                .satisfies(e -> assertThat(e.getValue())
                        .isEqualTo(GatewayLink.defaults().baseUrlV1()));
        assertThat(env)
                .filteredOn(e -> e.getName().equals("HTTPS_PROXY"))
                .singleElement()
                .satisfies(e ->
                        assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo(worker + "-gateway-home"));

        Secret home = h.client
                .secrets()
                .inNamespace(NS)
                .withName(worker + "-gateway-home")
                .get();
        assertThat(home.getMetadata().getLabels()).containsEntry(CollabLabels.POOL, "default");
        String auth = decode(home, "auth.json");
        assertThat(auth).contains(Placeholders.warmAccess(gatewayKey(), NS, worker));
    }

    @Test
    void aGatewaySessionClaimsAWarmWorkerAndIsPublishedWithNothingHandedOver() {
        h.createPool("default", new CollabSessionPoolSpec(2));
        Set<String> warmBefore =
                awaitWarm(2).stream().map(p -> p.getMetadata().getName()).collect(Collectors.toSet());
        h.credentials("g-creds", Map.of("auth.json", API_KEY));
        h.create("g", new CollabSessionSpec("alice", "g-creds")); // the harness opts Secrets in for alice

        CollabSession s = h.awaitSession(
                "g", cs -> cs.getStatus() != null && cs.getStatus().getEndpoint() != null);
        String worker = s.getStatus().getPodName();
        assertThat(warmBefore).contains(worker);
        Pod pod = h.client.pods().inNamespace(NS).withName(worker).get();
        assertThat(pod.getMetadata().getLabels()).containsEntry(CollabLabels.SESSION, "g");
        assertThat(pod.getMetadata().getAnnotations()).doesNotContainKey(CollabLabels.CREDENTIALS_PENDING);
        assertThat(Serialization.asJson(pod)).doesNotContain("REAL");
        assertThat(h.delivery.calls).as("credential deliveries to opencode").isEmpty();
        // measured as a claim (collab_pool_claim_seconds) and as a warm start
        // (collab_session_start_seconds{start=warm})
        assertThat(h.registry.find("collab_pool_claim_seconds").timer().count()).isEqualTo(1);
        await().atMost(OperatorHarness.WAIT)
                .until(() -> h.registry
                                .find("collab_session_start_seconds")
                                .tag("start", "warm")
                                .timer()
                                .count()
                        == 1);
        assertThat(h.registry
                        .find("collab_session_start_seconds")
                        .tag("start", "cold")
                        .timer()
                        .count())
                .isZero();

        // the session's own placeholder home is made for a pod started later (wake); the claimed pod stays
        await().atMost(OperatorHarness.WAIT)
                .until(() -> h.client
                                .secrets()
                                .inNamespace(NS)
                                .withName("g-gateway-home")
                                .get()
                        != null);
        String uid = pod.getMetadata().getUid();
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> {
            Pod now = h.client.pods().inNamespace(NS).withName(worker).get();
            return now != null && uid.equals(now.getMetadata().getUid());
        });
        // the worker's placeholder home stays while its pod runs for the session
        assertThat(h.client
                        .secrets()
                        .inNamespace(NS)
                        .withName(worker + "-gateway-home")
                        .get())
                .isNotNull();
    }

    @Test
    void aGatewaySessionWhoseFilesAWarmWorkerLacksStartsItsOwnWorker() {
        h.createPool("default", new CollabSessionPoolSpec(1));
        awaitWarm(1);
        h.credentials(
                "o-creds",
                Map.of(
                        "auth.json",
                        "{\"anthropic\":{\"type\":\"oauth\",\"refresh\":\"r\",\"access\":\"a\",\"expires\":1}}"));
        h.create("o", new CollabSessionSpec("alice", "o-creds"));
        CollabSession s = h.awaitSession(
                "o", cs -> cs.getStatus() != null && cs.getStatus().getEndpoint() != null);
        assertThat(s.getStatus().getPodName()).isEqualTo("o");
        assertThat(awaitWarm(1)).noneMatch(p -> p.getMetadata().getLabels().containsKey(CollabLabels.SESSION));
    }

    private List<Pod> awaitWarm(int count) {
        await().atMost(OperatorHarness.WAIT).until(() -> {
            List<Pod> warm = h.warmPods("default");
            return warm.size() == count
                    && warm.stream().allMatch(p -> PodView.of(p, 4096).ready());
        });
        return h.warmPods("default");
    }

    private byte[] gatewayKey() {
        return Placeholders.keyFrom(h.client
                .secrets()
                .inNamespace(h.client.getNamespace())
                .withName("collab-gateway-key")
                .get());
    }

    private static String decode(Secret secret, String key) {
        return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
    }
}

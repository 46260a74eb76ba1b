package dev.collab.operator;

import static dev.collab.operator.OperatorHarness.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.collab.api.AccountPoolState;
import dev.collab.api.AccountStatus;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.ConditionTypes;
import dev.collab.api.CredentialAccounts;
import dev.collab.api.CredentialsMode;
import dev.collab.api.Placeholders;
import dev.collab.api.SessionPhase;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
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
        CollabSession cs = h.create("alice", new CollabSessionSpec("alice", "alice-creds")); // no mode: the default
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

    /**
     * A Secret with only accounts.json (a pool): the session runs with an api-key placeholder in auth.json; the pool
     * state the gateway publishes on the Secret (here written by the test, playing the gateway) becomes
     * status.accounts and the ReloginRequired condition; an upload of new credentials clears it.
     */
    @Test
    void poolStateOnTheSecretBecomesStatusAndReloginRequiredClearsOnUpload() {
        String pool = "{\"accounts\":[{\"name\":\"work\",\"type\":\"api\",\"key\":\"sk-ant-REAL-w\"},"
                + "{\"name\":\"max\",\"type\":\"oauth\",\"access\":\"sk-ant-oat-REAL\","
                + "\"refresh\":\"sk-ant-ort-REAL-1\",\"expires\":1}]}";
        h.credentials("carol-creds", Map.of("accounts.json", pool));
        h.create("carol", new CollabSessionSpec("alice", "carol-creds"));
        h.awaitSession("carol", s -> s.getStatus() != null && s.getStatus().getPhase() == SessionPhase.Running);
        Secret home = h.client
                .secrets()
                .inNamespace(NS)
                .withName("carol-gateway-home")
                .get();
        String auth = new String(Base64.getDecoder().decode(home.getData().get("auth.json")), StandardCharsets.UTF_8);
        assertThat(auth)
                .contains("\"type\":\"api\"")
                .contains(Placeholders.PREFIX)
                .doesNotContain("REAL");
        assertThat(home.getData()).doesNotContainKey("accounts.json");

        Secret real = h.client.secrets().inNamespace(NS).withName("carol-creds").get();
        String revoked =
                CredentialAccounts.of(real.getData()).named("max").orElseThrow().fingerprint();
        h.client
                .secrets()
                .inNamespace(NS)
                .withName("carol-creds")
                .edit(s -> new SecretBuilder(s)
                        .editMetadata()
                        .addToAnnotations(
                                AccountPoolState.ANNOTATION,
                                AccountPoolState.write(List.of(
                                        new AccountPoolState.Entry("work", "Active", null, null, null, 7, 70, 700),
                                        new AccountPoolState.Entry(
                                                "max", "ReloginRequired", null, "refused", revoked, 0, 0, 0))))
                        .endMetadata()
                        .build());
        CollabSession relogin =
                h.awaitSession("carol", s -> s.getStatus().isConditionTrue(ConditionTypes.RELOGIN_REQUIRED));
        assertThat(relogin.getStatus()
                        .condition(ConditionTypes.RELOGIN_REQUIRED)
                        .getMessage())
                .contains("max");
        assertThat(relogin.getStatus().getAccounts())
                .extracting(AccountStatus::getName, AccountStatus::getState, AccountStatus::getRequests)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("work", "Active", 7L),
                        org.assertj.core.groups.Tuple.tuple("max", "ReloginRequired", 0L));
        assertThat(Serialization.asJson(relogin.getStatus()))
                .doesNotContain("REAL")
                .doesNotContain(revoked);

        // the upload writes the key only (as the router does): the annotation stays, its fingerprint no longer matches
        h.client
                .secrets()
                .inNamespace(NS)
                .withName("carol-creds")
                .edit(s -> new SecretBuilder(s)
                        .addToData(
                                "accounts.json",
                                Base64.getEncoder()
                                        .encodeToString(
                                                pool.replace("REAL-1", "REAL-2").getBytes(StandardCharsets.UTF_8)))
                        .build());
        h.awaitSession(
                "carol",
                s -> s.getStatus().condition(ConditionTypes.RELOGIN_REQUIRED) != null
                        && !s.getStatus().isConditionTrue(ConditionTypes.RELOGIN_REQUIRED));
        assertThat(h.client
                        .secrets()
                        .inNamespace(NS)
                        .withName("carol-creds")
                        .get()
                        .getMetadata()
                        .getAnnotations())
                .containsKey(AccountPoolState.ANNOTATION);
    }
}

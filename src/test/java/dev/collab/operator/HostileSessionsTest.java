package dev.collab.operator;

import static dev.collab.operator.OperatorHarness.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.ConditionTypes;
import dev.collab.api.SessionPhase;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 13: CollabSessions written by someone who may create sessions but not read Secrets, or who writes what the
 * CRD would refuse (the Fabric8 mock API server validates nothing, like an API server without the CRD's schema).
 * Each must end in a status condition with a reason, never in a pod that exposes what it should not.
 */
class HostileSessionsTest {
    private OperatorHarness h;

    @AfterEach
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void aSessionUsesOnlyASecretOptedInForItsOwner() {
        h = new OperatorHarness(OperatorSettings.defaults());
        // Someone else's Secret that happens to hold a credential key, with no opt-in label.
        h.credentials("db-password", Map.of(), Map.of("auth.json", "{\"prod\":{\"key\":\"sk-prod\"}}"));
        h.credentials("bob-creds", "bob@example.com", Map.of("auth.json", "{}"));
        h.create("thief", "alice", "db-password");
        h.create("mallory", "alice", "bob-creds");

        assertCredentialsRefused("thief", "SecretNotFound", "collab.dev/credentials=true");
        assertCredentialsRefused("mallory", "SecretOwnerMismatch", "bob-example.com");
        assertThat(h.client.pods().inNamespace(NS).list().getItems())
                .as("no pod mounts either Secret")
                .isEmpty();

        // Opting the Secret in for alice (what the router's upload does) starts the session.
        h.client.secrets().inNamespace(NS).withName("db-password").edit(s -> {
            s.getMetadata().setLabels(CollabLabels.credentialSecretLabels("alice"));
            return s;
        });
        h.awaitSession("thief", cs -> cs.getStatus().getPhase() == SessionPhase.Running);
        assertThat(h.session("mallory").getStatus().getPhase()).isEqualTo(SessionPhase.Pending);
    }

    @Test
    void specsTheCrdWouldRefuseGetAConditionAndNoChildren() {
        h = new OperatorHarness(OperatorSettings.defaults());
        h.credentials("c", Map.of("auth.json", "{}"));

        h.client
                .resources(CollabSession.class)
                .resource(new CollabSession(NS, "nospec", null))
                .create();
        String longName = "a".repeat(64);
        h.create(longName, "alice", "c");
        CollabSessionSpec overflow = new CollabSessionSpec("alice", "c");
        overflow.setIdleTimeout("3000000h");
        h.create("forever", overflow);
        CollabSessionSpec envFromSecret = new CollabSessionSpec("alice", "c");
        envFromSecret.setEnv(List.of(new EnvVarBuilder()
                .withName("DB")
                .withNewValueFrom()
                .withNewSecretKeyRef("password", "db-password", false)
                .endValueFrom()
                .build()));
        h.create("envsteal", envFromSecret);

        h.assertFailed("nospec", "MissingSpec", "no spec");
        h.assertFailed(longName, "NameTooLong", "at most 63");
        h.assertFailed("forever", "InvalidIdleTimeout", "8760h");
        h.assertFailed("envsteal", "ForbiddenEnvValueFrom", "Secret db-password");
        assertThat(h.client.pods().inNamespace(NS).list().getItems()).isEmpty();
        assertThat(h.client.persistentVolumeClaims().inNamespace(NS).list().getItems())
                .as("no child with a 64-character label value")
                .isEmpty();
        assertThat(h.registry.find("collab_reconcile_errors_total").counter().count())
                .as("a missing spec is an answer, not an exception")
                .isZero();
    }

    @Test
    void envMayReadSecretsWhenConfigurationAllowsIt() {
        h = new OperatorHarness(OperatorSettings.defaults().withAllowEnvValueFrom(true));
        h.credentials("c", Map.of("auth.json", "{}"));
        CollabSessionSpec spec = new CollabSessionSpec("alice", "c");
        spec.setEnv(List.of(new EnvVarBuilder()
                .withName("DB")
                .withNewValueFrom()
                .withNewSecretKeyRef("password", "db-password", false)
                .endValueFrom()
                .build()));
        h.create("allowed", spec);
        await().atMost(OperatorHarness.WAIT)
                .until(() -> h.client.pods().inNamespace(NS).withName("allowed").get() != null);
    }

    private void assertCredentialsRefused(String name, String reason, String messagePart) {
        CollabSession s = h.awaitSession(
                name,
                cs -> cs.getStatus() != null && cs.getStatus().condition(ConditionTypes.CREDENTIALS_READY) != null);
        Condition credentials = s.getStatus().condition(ConditionTypes.CREDENTIALS_READY);
        assertThat(credentials.getStatus()).isEqualTo("False");
        assertThat(credentials.getReason()).isEqualTo(reason);
        assertThat(credentials.getMessage()).contains(messagePart);
        assertThat(s.getStatus().getPhase()).isEqualTo(SessionPhase.Pending);
    }
}

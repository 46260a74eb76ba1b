package dev.collab.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.CollabSessionSpec;
import dev.collab.api.StorageSpec;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpecAndCredentialsTest {

    @Test
    void validSpecPasses() {
        assertThat(SpecValidator.validate(new CollabSessionSpec("alice", "c"))).isEmpty();
    }

    @Test
    void eachInvalidSpecHasItsOwnReason() {
        assertThat(reason(new CollabSessionSpec(" ", "c"))).isEqualTo("MissingOwner");
        assertThat(reason(new CollabSessionSpec("alice", ""))).isEqualTo("MissingCredentialsSecret");
        CollabSessionSpec idle = new CollabSessionSpec("alice", "c");
        idle.setIdleTimeout("30 minutes");
        assertThat(reason(idle)).isEqualTo("InvalidIdleTimeout");
        for (String reserved : List.of("HOME", "XDG_CONFIG_HOME", "OPENCODE_SERVER_PASSWORD", "OPENCODE_DISABLE_EMBEDDED_WEB_UI")) {
            CollabSessionSpec env = new CollabSessionSpec("alice", "c");
            env.setEnv(List.of(new EnvVar(reserved, "x", null)));
            assertThat(reason(env)).as(reserved).isEqualTo("ForbiddenEnv");
        }
        CollabSessionSpec storage = new CollabSessionSpec("alice", "c");
        storage.setStorage(new StorageSpec());
        storage.getStorage().setSize(new Quantity("lots"));
        assertThat(reason(storage)).isEqualTo("InvalidStorageSize");
    }

    @Test
    void credentialsStateNamesTheProblem() {
        assertThat(CredentialsState.of("x", null).reason()).isEqualTo("SecretNotFound");
        var noKeys = new SecretBuilder().withNewMetadata().withName("x").endMetadata().withData(Map.of("k", "eA==")).build();
        assertThat(CredentialsState.of("x", noKeys).reason()).isEqualTo("NoKnownCredentialKeys");
        var bad = new SecretBuilder().withNewMetadata().withName("x").endMetadata().withData(Map.of("auth.json", "%%%")).build();
        assertThat(CredentialsState.of("x", bad).reason()).isEqualTo("InvalidSecretData");
        var good = new SecretBuilder().withNewMetadata().withName("x").endMetadata().withData(Map.of("auth.json", "e30=")).build();
        CredentialsState ok = CredentialsState.of("x", good);
        assertThat(ok.ready()).isTrue();
        assertThat(ok.hash()).startsWith("sha256:");
        // No secret value in the message that ends up in status and events.
        assertThat(ok.message()).doesNotContain("e30=").doesNotContain("{}");
    }

    @Test
    void aSubscriptionBesideAnApiKeyWinsAndTheConditionSaysSo() {
        String apiKey = b64("{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-ant-api03-secret\"}}");
        String subscription = b64("{\"claudeAiOauth\":{\"accessToken\":\"oat-secret\",\"refreshToken\":\"ort-secret\","
                + "\"expiresAt\":1}}");
        CredentialsState both = CredentialsState.of("x", secret(Map.of("auth.json", apiKey, "claude-credentials.json", subscription)));
        assertThat(both.ready()).isTrue();
        assertThat(both.reason()).isEqualTo(CredentialsState.SUBSCRIPTION_REPLACES_API_KEY);
        assertThat(both.message()).contains("claude-credentials.json", "wins").doesNotContain("secret");

        // only one of the two, or an auth.json whose anthropic entry is not an API key: nothing is replaced
        assertThat(CredentialsState.of("x", secret(Map.of("auth.json", apiKey))).reason()).isEqualTo("CredentialsFound");
        assertThat(CredentialsState.of("x", secret(Map.of("claude-credentials.json", subscription))).reason())
                .isEqualTo("CredentialsFound");
        String otherProvider = b64("{\"openai\":{\"type\":\"api\",\"key\":\"sk-o\"},\"anthropic\":{\"type\":\"oauth\"}}");
        assertThat(CredentialsState.of("x", secret(Map.of("auth.json", otherProvider, "claude-credentials.json", subscription)))
                .reason()).isEqualTo("CredentialsFound");
        assertThat(CredentialsState.of("x", secret(Map.of("auth.json", b64("not json"), "claude-credentials.json", subscription)))
                .reason()).isEqualTo("CredentialsFound");
        // the hash is the seed-home digest either way: the rule changes the condition, not what is seeded
        assertThat(both.hash()).isEqualTo(CredentialsState.of("y", secret(Map.of("claude-credentials.json", subscription,
                "auth.json", apiKey))).hash());
    }

    private static io.fabric8.kubernetes.api.model.Secret secret(Map<String, String> data) {
        return new SecretBuilder().withNewMetadata().withName("x").endMetadata().withData(data).build();
    }

    private static String b64(String s) {
        return java.util.Base64.getEncoder().encodeToString(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static String reason(CollabSessionSpec spec) {
        return SpecValidator.validate(spec).map(SpecProblem::reason).orElse(null);
    }
}

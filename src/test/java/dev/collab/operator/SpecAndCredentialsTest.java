package dev.collab.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.EgressSpec;
import dev.collab.api.StorageSpec;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpecAndCredentialsTest {
    private static final OperatorSettings SETTINGS = OperatorSettings.defaults();

    @Test
    void validSpecPasses() {
        assertThat(SpecValidator.validate(new CollabSessionSpec("alice", "c"), false))
                .isEmpty();
        assertThat(SpecValidator.validate(
                        new CollabSession("ns", "a".repeat(63), new CollabSessionSpec("alice", "c")), SETTINGS))
                .isEmpty();
    }

    @Test
    void eachInvalidSpecHasItsOwnReason() {
        assertThat(reason(new CollabSessionSpec(" ", "c"))).isEqualTo("MissingOwner");
        assertThat(reason(new CollabSessionSpec("alice", ""))).isEqualTo("MissingCredentialsSecret");
        CollabSessionSpec idle = new CollabSessionSpec("alice", "c");
        idle.setIdleTimeout("30 minutes");
        assertThat(reason(idle)).isEqualTo("InvalidIdleTimeout");
        for (String reserved :
                List.of("HOME", "XDG_CONFIG_HOME", "OPENCODE_SERVER_PASSWORD", "OPENCODE_DISABLE_EMBEDDED_WEB_UI")) {
            CollabSessionSpec env = new CollabSessionSpec("alice", "c");
            env.setEnv(List.of(new EnvVar(reserved, "x", null)));
            assertThat(reason(env)).as(reserved).isEqualTo("ForbiddenEnv");
        }
        CollabSessionSpec storage = new CollabSessionSpec("alice", "c");
        storage.setStorage(new StorageSpec());
        storage.getStorage().setSize(new Quantity("lots"));
        assertThat(reason(storage)).isEqualTo("InvalidStorageSize");
        for (String bad : List.of("", "exa mple.com", "*.*.org", "host:99999", "fd00::/8:443", "10.0.0.0/99")) {
            CollabSessionSpec egress = new CollabSessionSpec("alice", "c");
            egress.setEgress(new EgressSpec(List.of("registry.npmjs.org", bad)));
            assertThat(SpecValidator.validate(egress, false))
                    .as(bad)
                    .get()
                    .satisfies(p -> assertThat(p.reason()).isEqualTo("InvalidEgressAllow"))
                    .satisfies(p -> assertThat(p.message()).startsWith("spec.egress.allow[1]: "));
        }
        CollabSessionSpec fine = new CollabSessionSpec("alice", "c");
        fine.setEgress(new EgressSpec(List.of("*.github.com:443", "[fd00::]/8:443", "140.82.112.0/20:22")));
        assertThat(SpecValidator.validate(fine, false)).isEmpty();
    }

    @Test
    void hostileSpecsAreAnsweredWithAReasonNotAnException() {
        assertThat(SpecValidator.validate(new CollabSession("ns", "nospec", null), SETTINGS))
                .hasValueSatisfying(p -> assertThat(p.reason()).isEqualTo("MissingSpec"));

        CollabSessionSpec overflow = new CollabSessionSpec("alice", "c");
        overflow.setIdleTimeout("3000000h");
        assertThat(reason(overflow)).isEqualTo("InvalidIdleTimeout");

        var longName = new CollabSession("ns", "a".repeat(64), new CollabSessionSpec("alice", "c"));
        assertThat(SpecValidator.validate(longName, SETTINGS))
                .hasValueSatisfying(p -> assertThat(p.reason()).isEqualTo("NameTooLong"));
    }

    @Test
    void envMayReadSecretsAndConfigMapsOnlyWhenConfigurationAllowsIt() {
        CollabSessionSpec secretRef = new CollabSessionSpec("alice", "c");
        secretRef.setEnv(List.of(new EnvVarBuilder()
                .withName("STOLEN")
                .withNewValueFrom()
                .withNewSecretKeyRef("password", "someone-elses-db", false)
                .endValueFrom()
                .build()));
        CollabSessionSpec configMapRef = new CollabSessionSpec("alice", "c");
        configMapRef.setEnv(List.of(new EnvVarBuilder()
                .withName("CFG")
                .withNewValueFrom()
                .withNewConfigMapKeyRef("k", "cm", false)
                .endValueFrom()
                .build()));
        CollabSessionSpec fieldRef = new CollabSessionSpec("alice", "c");
        fieldRef.setEnv(List.of(new EnvVarBuilder()
                .withName("POD")
                .withNewValueFrom()
                .withNewFieldRef()
                .withFieldPath("metadata.name")
                .endFieldRef()
                .endValueFrom()
                .build()));

        assertThat(SpecValidator.validate(secretRef, false)).hasValueSatisfying(p -> {
            assertThat(p.reason()).isEqualTo("ForbiddenEnvValueFrom");
            assertThat(p.message())
                    .contains("STOLEN", "Secret someone-elses-db", "collab.session.allow-env-value-from");
        });
        assertThat(reason(configMapRef)).isEqualTo("ForbiddenEnvValueFrom");
        assertThat(reason(fieldRef)).as("the pod's own fields reveal nothing").isNull();
        assertThat(SpecValidator.validate(secretRef, true)).isEmpty();
        assertThat(SpecValidator.validate(configMapRef, true)).isEmpty();
    }

    @Test
    void credentialsStateNamesTheProblem() {
        assertThat(CredentialsState.of("x", null, "alice").reason()).isEqualTo("SecretNotFound");
        assertThat(CredentialsState.of("x", optedIn(Map.of("k", "eA==")), "alice")
                        .reason())
                .isEqualTo("NoKnownCredentialKeys");
        assertThat(CredentialsState.of("x", optedIn(Map.of("auth.json", "%%%")), "alice")
                        .reason())
                .isEqualTo("InvalidSecretData");
        CredentialsState ok = CredentialsState.of("x", optedIn(Map.of("auth.json", "e30=")), "alice");
        assertThat(ok.ready()).isTrue();
        assertThat(ok.hash()).startsWith("sha256:");
        // No secret value in the message that ends up in status and events.
        assertThat(ok.message()).doesNotContain("e30=").doesNotContain("{}");
    }

    @Test
    void onlySecretsOptedInForTheSessionsOwnerAreUsed() {
        Secret anySecret = new SecretBuilder()
                .withNewMetadata()
                .withName("db")
                .endMetadata()
                .withData(Map.of("auth.json", "e30="))
                .build();
        CredentialsState unlabelled = CredentialsState.of("db", anySecret, "alice");
        assertThat(unlabelled.ready()).isFalse();
        assertThat(unlabelled.reason()).isEqualTo("SecretNotFound");
        assertThat(unlabelled.message()).contains("collab.dev/credentials=true", "collab.dev/owner=alice");

        Secret bobs = optedIn(Map.of("auth.json", "e30="));
        bobs.getMetadata().setLabels(CollabLabels.credentialSecretLabels("bob@example.com"));
        CredentialsState mismatch = CredentialsState.of("x", bobs, "alice");
        assertThat(mismatch.ready()).isFalse();
        assertThat(mismatch.reason()).isEqualTo("SecretOwnerMismatch");
        assertThat(mismatch.message()).contains("bob-example.com", "alice");

        Secret ownerOnly = optedIn(Map.of("auth.json", "e30="));
        ownerOnly.getMetadata().setLabels(Map.of(CollabLabels.OWNER, "alice"));
        assertThat(CredentialsState.of("x", ownerOnly, "alice").reason())
                .as("the owner label alone does not opt a Secret in")
                .isEqualTo("SecretNotFound");
        assertThat(CredentialsState.of("x", optedIn(Map.of("auth.json", "e30=")), "Alice")
                        .reason())
                .as("owners compare exactly (the label value is injective): Alice is not alice")
                .isEqualTo("SecretOwnerMismatch");
    }

    /**
     * Issue 30 item 2: alice@example.com and alice-example.com shared the owner label "alice-example.com", so a
     * Secret opted in for one served the other. Both directions are refused now; a Secret still carrying the old
     * value of its own owner is not used either (the value cannot say which of the two it belongs to) and the
     * condition names the relabel command.
     */
    @Test
    void ownersWhoseOldLabelsCollideCannotUseEachOthersSecrets() {
        Secret alices = optedIn(Map.of("auth.json", "e30="));
        alices.getMetadata().setLabels(CollabLabels.credentialSecretLabels("alice@example.com"));
        assertThat(CredentialsState.of("x", alices, "alice@example.com").ready())
                .isTrue();
        assertThat(CredentialsState.of("x", alices, "alice-example.com").reason())
                .isEqualTo("SecretOwnerMismatch");

        Secret old = optedIn(Map.of("auth.json", "e30="));
        old.getMetadata().setLabels(Map.of(CollabLabels.CREDENTIALS, "true", CollabLabels.OWNER, "alice-example.com"));
        for (String owner : List.of("alice@example.com", "alice-example.com")) {
            CredentialsState state = CredentialsState.of("x", old, owner);
            assertThat(state.ready()).as(owner).isFalse();
            assertThat(state.reason()).as(owner).isEqualTo("SecretOwnerLabelOutdated");
            assertThat(state.message())
                    .contains("kubectl label secret x collab.dev/owner=" + CollabLabels.ownerLabelValue(owner)
                            + " --overwrite");
        }
    }

    @Test
    void aSubscriptionBesideAnApiKeyWinsAndTheConditionSaysSo() {
        String apiKey = b64("{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-ant-api03-secret\"}}");
        String subscription = b64("{\"claudeAiOauth\":{\"accessToken\":\"oat-secret\",\"refreshToken\":\"ort-secret\","
                + "\"expiresAt\":1}}");
        CredentialsState both = of(Map.of("auth.json", apiKey, "claude-credentials.json", subscription));
        assertThat(both.ready()).isTrue();
        assertThat(both.reason()).isEqualTo(CredentialsState.SUBSCRIPTION_REPLACES_API_KEY);
        assertThat(both.message()).contains("claude-credentials.json", "wins").doesNotContain("secret");

        // only one of the two, or an auth.json whose anthropic entry is not an API key: nothing is replaced
        assertThat(of(Map.of("auth.json", apiKey)).reason()).isEqualTo("CredentialsFound");
        assertThat(of(Map.of("claude-credentials.json", subscription)).reason()).isEqualTo("CredentialsFound");
        String otherProvider =
                b64("{\"openai\":{\"type\":\"api\",\"key\":\"sk-o\"},\"anthropic\":{\"type\":\"oauth\"}}");
        assertThat(of(Map.of("auth.json", otherProvider, "claude-credentials.json", subscription))
                        .reason())
                .isEqualTo("CredentialsFound");
        assertThat(of(Map.of("auth.json", b64("not json"), "claude-credentials.json", subscription))
                        .reason())
                .isEqualTo("CredentialsFound");
        // the hash is the seed-home digest either way: the rule changes the condition, not what is seeded
        assertThat(both.hash())
                .isEqualTo(of(Map.of("claude-credentials.json", subscription, "auth.json", apiKey))
                        .hash());
    }

    private static CredentialsState of(Map<String, String> data) {
        return CredentialsState.of("x", optedIn(data), "alice");
    }

    private static String b64(String s) {
        return java.util.Base64.getEncoder().encodeToString(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static Secret optedIn(Map<String, String> data) {
        return new SecretBuilder()
                .withNewMetadata()
                .withName("x")
                .withLabels(CollabLabels.credentialSecretLabels("alice"))
                .endMetadata()
                .withData(data)
                .build();
    }

    private static String reason(CollabSessionSpec spec) {
        return SpecValidator.validate(spec, false).map(SpecProblem::reason).orElse(null);
    }
}

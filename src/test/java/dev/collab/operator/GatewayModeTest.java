package dev.collab.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.collab.api.CollabLabels;
import dev.collab.api.CollabSession;
import dev.collab.api.CredentialsMode;
import dev.collab.api.Placeholders;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Pure: the pod and placeholder files of a Gateway-mode session hold no real credential. */
class GatewayModeTest {
    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final String AUTH = "{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-ant-REAL-KEY\"},"
            + "\"openai\":{\"type\":\"oauth\",\"access\":\"REAL-ACCESS\",\"refresh\":\"REAL-REFRESH\",\"expires\":1}}";
    private static final String CLAUDE = "{\"claudeAiOauth\":{\"accessToken\":\"sk-ant-oat-REAL\",\"refreshToken\":"
            + "\"sk-ant-ort-REAL\",\"expiresAt\":1700000000000,\"scopes\":[\"user:inference\"]}}";
    private static final String CONFIG =
            "{\"plugin\":[\"opencode-claude-auth\"],\"provider\":{\"anthropic\":{\"options\":"
                    + "{\"baseURL\":\"https://elsewhere.example/v1\",\"apiKey\":\"sk-ant-REAL-IN-CONFIG\"}}}}";
    private final OperatorSettings settings =
            OperatorSettings.defaults().withGateway(GatewayLink.defaults().withDefaultMode(CredentialsMode.Gateway));

    @Test
    void placeholderFilesKeepTheShapesAndLoseEverySecret() throws Exception {
        CollabSession s = session();
        Secret home = GatewayHomeDependent.desired(s, real(), KEY, settings.gateway());
        String access = Placeholders.access(KEY, "ns", "alice", "uid-alice");
        String all = Serialization.asJson(decoded(home));
        assertThat(all).doesNotContain("REAL").contains(access);
        assertThat(home.getMetadata().getName()).isEqualTo(CollabLabels.gatewayHomeSecretName("alice"));
        assertThat(home.getMetadata().getOwnerReferences())
                .singleElement()
                .satisfies(o -> assertThat(o.getUid()).isEqualTo("uid-alice"));

        ObjectMapper json = new ObjectMapper();
        JsonNode auth = json.readTree(decoded(home).get("auth.json"));
        assertThat(auth.at("/anthropic/type").asText()).isEqualTo("api");
        assertThat(auth.at("/anthropic/key").asText()).isEqualTo(access);
        assertThat(auth.at("/openai/refresh").asText())
                .isEqualTo(Placeholders.refresh(KEY, "ns", "alice", "uid-alice"));
        JsonNode claude = json.readTree(decoded(home).get("claude-credentials.json"));
        assertThat(claude.at("/claudeAiOauth/accessToken").asText()).isEqualTo(access);
        assertThat(claude.at("/claudeAiOauth/expiresAt").asLong()).isEqualTo(Placeholders.FAR_FUTURE_EXPIRY_MILLIS);
        assertThat(claude.at("/claudeAiOauth/scopes/0").asText()).isEqualTo("user:inference");
        JsonNode config = json.readTree(decoded(home).get("opencode.json"));
        assertThat(config.at("/provider/anthropic/options/baseURL").asText())
                .isEqualTo("http://collab-gateway.collab-system:8080/v1");
        assertThat(config.at("/plugin/0").asText()).isEqualTo("opencode-claude-auth");
    }

    /** MCP servers' env and custom providers' headers, secret by the router's redaction rule (issue 30 item 5). */
    private static final String CONFIG_WITH_MAPS = "{\"mcp\":{\"github\":{\"type\":\"local\",\"command\":[\"gh-mcp\"],"
            + "\"environment\":{\"GITHUB_TOKEN\":\"ghp_REAL_MCP\"}}},\"provider\":{\"custom\":{\"options\":"
            + "{\"headers\":{\"Authorization\":\"Bearer REAL_HEADER\"},\"clientSecret\":\"REAL_CLIENT_SECRET\","
            + "\"access_token\":\"REAL_ACCESS_TOKEN\",\"refresh_token\":\"REAL_REFRESH_TOKEN\"}}}}";

    @Test
    void everyValueTheRedactionRuleCallsSecretIsReplaced() throws Exception {
        Secret home = GatewayHomeDependent.desired(
                session(), secret(Map.of("opencode.json", CONFIG_WITH_MAPS)), KEY, settings.gateway());
        assertThat(Serialization.asJson(decoded(home))).doesNotContain("REAL");
        JsonNode config = new ObjectMapper().readTree(decoded(home).get("opencode.json"));
        assertThat(config.at("/mcp/github/environment/GITHUB_TOKEN").asText()).isEqualTo(PlaceholderHome.WITHHELD);
        assertThat(config.at("/mcp/github/command/0").asText())
                .as("not secret: kept")
                .isEqualTo("gh-mcp");
        String access = Placeholders.access(KEY, "ns", "alice", "uid-alice");
        assertThat(config.at("/provider/custom/options/clientSecret").asText()).isEqualTo(access);
        assertThat(config.at("/provider/custom/options/access_token").asText()).isEqualTo(access);
        assertThat(config.at("/provider/custom/options/refresh_token").asText())
                .isEqualTo(Placeholders.refresh(KEY, "ns", "alice", "uid-alice"));
    }

    @Test
    void secretsTheGatewayCannotStandInForRefuseGatewayModeWithAConditionNamingThem() {
        CredentialsState refused = GatewayHomeDependent.refusal(secret(Map.of("opencode.json", CONFIG_WITH_MAPS)));
        assertThat(refused).isNotNull();
        assertThat(refused.ready()).isFalse();
        assertThat(refused.reason()).isEqualTo(GatewayHomeDependent.UNHIDEABLE_SECRETS);
        assertThat(refused.message())
                .contains("opencode.json: mcp.github.environment.GITHUB_TOKEN")
                .contains("opencode.json: provider.custom.options.headers.Authorization")
                .contains("Seeded")
                .doesNotContain("REAL");
        assertThat(GatewayHomeDependent.refusal(real()))
                .as("only credential fields: replaced, no refusal")
                .isNull();
        assertThat(GatewayHomeDependent.refusal(secret(Map.of(
                        "opencode.json",
                        "{\"mcp\":{\"gh\":{\"environment\":{\"GITHUB_TOKEN\":\"{env:GITHUB_TOKEN}\"}}}}"))))
                .as("a reference to the pod's own environment holds no secret")
                .isNull();
    }

    @Test
    void everyFileIsWrittenSoNoEarlierRealOneSurvivesInHome() {
        Secret onlyAuth = secret(Map.of("auth.json", AUTH, "claude-credentials.json", "not json"));
        Secret home = GatewayHomeDependent.desired(session(), onlyAuth, KEY, settings.gateway());
        assertThat(decoded(home))
                .containsOnlyKeys(
                        "auth.json", "claude-credentials.json", "opencode.json", CollabLabels.EGRESS_PROXY_URL_KEY);
        assertThat(decoded(home).get("claude-credentials.json")).isEqualTo("{}");
        assertThat(Serialization.asJson(decoded(home))).doesNotContain("REAL");
    }

    @Test
    void placeholdersAreBoundToOneSessionIncarnation() {
        String a = Placeholders.access(KEY, "ns", "alice", "uid-1");
        assertThat(a).startsWith(Placeholders.PREFIX).doesNotContain("alice");
        assertThat(Placeholders.access(KEY, "ns", "alice", "uid-2")).isNotEqualTo(a);
        assertThat(Placeholders.access(KEY, "ns2", "alice", "uid-1")).isNotEqualTo(a);
        assertThat(Placeholders.refresh(KEY, "ns", "alice", "uid-1")).isNotEqualTo(a);
        assertThat(Placeholders.access(
                        "another-key-0123456789".getBytes(StandardCharsets.UTF_8), "ns", "alice", "uid-1"))
                .isNotEqualTo(a);
    }

    @Test
    void aNewKeyOfTheSameShapeChangesNeitherPlaceholderFilesNorPod() {
        CollabSession s = session();
        Secret first = GatewayHomeDependent.desired(s, real(), KEY, settings.gateway());
        Secret rotated = GatewayHomeDependent.desired(
                s,
                secret(Map.of(
                        "auth.json",
                        AUTH.replace("REAL-KEY", "NEW-KEY"),
                        "claude-credentials.json",
                        CLAUDE,
                        "opencode.json",
                        CONFIG)),
                KEY,
                settings.gateway());
        assertThat(rotated.getData()).isEqualTo(first.getData());
        Pod a = WorkerPodBuilder.desired(s, settings, state(first));
        Pod b = WorkerPodBuilder.desired(s, settings, state(rotated));
        assertThat(b.getMetadata().getAnnotations()).isEqualTo(a.getMetadata().getAnnotations());
    }

    @Test
    void gatewayPodMountsOnlyThePlaceholderSecretAndPointsAtTheGateway() {
        CollabSession s = session();
        s.getSpec().setEnv(List.of(new EnvVar("ANTHROPIC_BASE_URL", "https://api.anthropic.com/v1", null)));
        Secret home = GatewayHomeDependent.desired(s, real(), KEY, settings.gateway());
        Pod pod = WorkerPodBuilder.desired(s, settings, state(home));
        String spec = Serialization.asJson(pod.getSpec());
        assertThat(spec).doesNotContain("alice-creds").doesNotContain("REAL");
        assertThat(pod.getSpec().getVolumes())
                .filteredOn(v -> v.getSecret() != null)
                .extracting(v -> v.getSecret().getSecretName())
                .containsExactly("alice-gateway-home");
        assertThat(pod.getMetadata().getLabels())
                .containsEntry(CollabLabels.CREDENTIALS_MODE, CollabLabels.CREDENTIALS_MODE_GATEWAY);
        Container c = pod.getSpec().getContainers().get(0);
        assertThat(c.getEnv())
                .filteredOn(e -> e.getName().equals("ANTHROPIC_BASE_URL"))
                .extracting(EnvVar::getValue)
                .containsExactly("http://collab-gateway.collab-system:8080/v1");

        s.getSpec().getCredentials().setMode(CredentialsMode.Seeded); // the spec wins over the default
        Pod seeded = WorkerPodBuilder.desired(s, settings, state(real()));
        assertThat(seeded.getMetadata().getLabels()).doesNotContainKey(CollabLabels.CREDENTIALS_MODE);
        assertThat(seeded.getSpec().getVolumes())
                .filteredOn(v -> v.getSecret() != null)
                .extracting(v -> v.getSecret().getSecretName())
                .containsExactly("alice-creds");
    }

    @Test
    void gatewayPodsReachEverythingButTheGatewayThroughTheEgressProxyWithTheirPlaceholder() {
        CollabSession s = session();
        s.getSpec()
                .setEnv(List.of(
                        new EnvVar("HTTPS_PROXY", "http://elsewhere:3128", null),
                        new EnvVar("no_proxy", "*", null),
                        new EnvVar("KEEP", "me", null)));
        Secret home = GatewayHomeDependent.desired(s, real(), KEY, settings.gateway());
        String proxyUrl = new String(
                Base64.getDecoder().decode(home.getData().get(CollabLabels.EGRESS_PROXY_URL_KEY)),
                StandardCharsets.UTF_8);
        String access = Placeholders.access(KEY, "ns", "alice", s.getMetadata().getUid());
        assertThat(proxyUrl).isEqualTo("http://collab:" + access + "@collab-gateway.collab-system:3128");

        Pod pod = WorkerPodBuilder.desired(s, settings, state(home));
        List<EnvVar> env = pod.getSpec().getContainers().get(0).getEnv();
        for (String name : List.of("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")) {
            assertThat(env)
                    .filteredOn(e -> e.getName().equals(name))
                    .singleElement()
                    .satisfies(e -> {
                        assertThat(e.getValue()).isNull(); // the placeholder is in the Secret, not in the pod spec
                        assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("alice-gateway-home");
                        assertThat(e.getValueFrom().getSecretKeyRef().getKey())
                                .isEqualTo(CollabLabels.EGRESS_PROXY_URL_KEY);
                    });
        }
        for (String name : List.of("NO_PROXY", "no_proxy")) {
            assertThat(env)
                    .filteredOn(e -> e.getName().equals(name))
                    .extracting(EnvVar::getValue)
                    .containsExactly("collab-gateway.collab-system,localhost,127.0.0.1,::1");
        }
        assertThat(env).extracting(EnvVar::getName).contains("KEEP");
        assertThat(env)
                .filteredOn(e -> e.getName().equals("COLLAB_EGRESS_PROXY"))
                .extracting(EnvVar::getValue)
                .containsExactly("http://collab-gateway.collab-system:3128");
        // a moved proxy replaces the pod: a running process keeps the variables it started with
        GatewayLink moved = new GatewayLink(
                CredentialsMode.Gateway, settings.gateway().url(), "http://127.0.0.1:40001", "collab-gateway-key");
        Pod elsewhere = WorkerPodBuilder.desired(s, settings.withGateway(moved), state(home));
        assertThat(elsewhere.getMetadata().getAnnotations().get(CollabLabels.SPEC_HASH))
                .isNotEqualTo(pod.getMetadata().getAnnotations().get(CollabLabels.SPEC_HASH));
        // not a credential file: never mounted into HOME, and not part of the credentials hash
        assertThat(WorkerPodBuilder.mountedCredentialKeys(pod)).doesNotContain(CollabLabels.EGRESS_PROXY_URL_KEY);
        assertThat(state(home).keys()).extracting(k -> k.secretKey()).doesNotContain(CollabLabels.EGRESS_PROXY_URL_KEY);

        s.getSpec().getCredentials().setMode(CredentialsMode.Seeded); // Seeded: spec.env as written, no proxy of ours
        List<EnvVar> seeded = WorkerPodBuilder.desired(s, settings, state(real()))
                .getSpec()
                .getContainers()
                .get(0)
                .getEnv();
        assertThat(seeded)
                .filteredOn(e -> e.getName().equals("HTTPS_PROXY"))
                .extracting(EnvVar::getValue)
                .containsExactly("http://elsewhere:3128");
        assertThat(seeded).extracting(EnvVar::getName).doesNotContain("HTTP_PROXY");
    }

    @Test
    void placeholdersAreBuiltOncePerInputsAndAgainForANewSecretVersionOrKey() {
        java.util.concurrent.atomic.AtomicReference<byte[]> key =
                new java.util.concurrent.atomic.AtomicReference<>(KEY);
        // no informer: desired() reads none (only ensure/current do)
        GatewayHomeDependent homes = new GatewayHomeDependent(null, () -> java.util.Optional.of(key.get()));
        CollabSession s = session();
        s.getMetadata().setGeneration(1L);
        Secret real = real();
        real.getMetadata().setUid("uid-creds");
        real.getMetadata().setResourceVersion("10");
        var first = homes.desired(s, real, state(real), settings.gateway());
        assertThat(homes.desired(s, real, state(real), settings.gateway())).isSameAs(first);

        Secret uploaded = real();
        uploaded.getMetadata().setUid("uid-creds");
        uploaded.getMetadata().setResourceVersion("11");
        var afterUpload = homes.desired(s, uploaded, state(uploaded), settings.gateway());
        assertThat(afterUpload).isNotSameAs(first);
        assertThat(afterUpload.secret().getData()).isEqualTo(first.secret().getData());

        key.set("another-key-another-key-another-".getBytes(StandardCharsets.UTF_8));
        var underNewKey = homes.desired(s, uploaded, state(uploaded), settings.gateway());
        assertThat(underNewKey.secret().getData())
                .isNotEqualTo(afterUpload.secret().getData());
    }

    /** alice's session with no mode of its own: the default, Gateway, applies. */
    private static CollabSession session() {
        CollabSession s = WorkerPodBuilderTest.session("alice");
        s.getSpec().getCredentials().setMode(null);
        return s;
    }

    /** The state the operator computes for a Secret opted in for alice's sessions. */
    private static CredentialsState state(Secret secret) {
        Secret opted = new SecretBuilder(secret)
                .editMetadata()
                .addToLabels(CollabLabels.credentialSecretLabels("alice"))
                .endMetadata()
                .build();
        return CredentialsState.of(secret.getMetadata().getName(), opted, "alice");
    }

    private static Secret real() {
        return secret(Map.of("auth.json", AUTH, "claude-credentials.json", CLAUDE, "opencode.json", CONFIG));
    }

    private static Secret secret(Map<String, String> files) {
        SecretBuilder b =
                new SecretBuilder().withNewMetadata().withName("alice-creds").endMetadata();
        files.forEach((k, v) -> b.addToData(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.UTF_8))));
        return b.build();
    }

    private static Map<String, String> decoded(Secret s) {
        Map<String, String> out = new java.util.TreeMap<>();
        s.getData().forEach((k, v) -> out.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
        return out;
    }
}

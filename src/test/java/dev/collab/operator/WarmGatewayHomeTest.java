package dev.collab.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.CollabLabels;
import dev.collab.api.Placeholders;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a Gateway-mode warm worker starts with, and which credential Secrets its files fit. */
class WarmGatewayHomeTest {
    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final GatewayLink LINK = GatewayLink.defaults();

    private static Secret secret(Map<String, String> files) {
        SecretBuilder b =
                new SecretBuilder().withNewMetadata().withName("creds").endMetadata();
        files.forEach((k, v) -> b.addToData(k, b64(v)));
        return b.build();
    }

    @Test
    void anApiKeyOrAnAccountPoolFitsAWarmWorker() {
        assertThat(WarmGatewayHome.fits(
                        secret(Map.of("auth.json", "{\"anthropic\":{\"type\":\"api\",\"key\":\"sk-ant-real\"}}")),
                        LINK))
                .isTrue();
        assertThat(WarmGatewayHome.fits(
                        secret(Map.of(
                                "accounts.json", "{\"accounts\":[{\"name\":\"a\",\"type\":\"api\",\"key\":\"k\"}]}")),
                        LINK))
                .isTrue();
    }

    @Test
    void filesAWarmWorkerDoesNotHaveDoNotFit() {
        // OAuth entries keep their shape (type, refresh placeholder): the warm worker's auth.json has an api key
        assertThat(WarmGatewayHome.fits(
                        secret(
                                Map.of(
                                        "auth.json",
                                        "{\"anthropic\":{\"type\":\"oauth\",\"refresh\":\"r\",\"access\":\"a\",\"expires\":1}}")),
                        LINK))
                .isFalse();
        // a second provider, or an opencode.json of the session's own, would be missing on the worker
        assertThat(WarmGatewayHome.fits(
                        secret(
                                Map.of(
                                        "auth.json",
                                        "{\"anthropic\":{\"type\":\"api\",\"key\":\"k\"},\"openai\":{\"type\":\"api\",\"key\":\"o\"}}")),
                        LINK))
                .isFalse();
        assertThat(WarmGatewayHome.fits(
                        secret(Map.of(
                                "auth.json", "{\"anthropic\":{\"type\":\"api\",\"key\":\"k\"}}",
                                "opencode.json", "{\"model\":\"anthropic/claude-sonnet-4-5\"}")),
                        LINK))
                .isFalse();
    }

    @Test
    void theWorkerHoldsItsOwnPlaceholderAndProxyCredentialNeverAnotherWorkers() {
        Map<String, String> data = WarmGatewayHome.data(KEY, "collab", "default-bcdfg", LINK);
        String access = Placeholders.warmAccess(KEY, "collab", "default-bcdfg");
        assertThat(decode(data.get("auth.json"))).contains(access).contains("\"type\":\"api\"");
        assertThat(decode(data.get("opencode.json"))).contains(LINK.baseUrlV1());
        assertThat(decode(data.get(CollabLabels.EGRESS_PROXY_URL_KEY))).isEqualTo(LINK.egressUrlFor(access));
        assertThat(access)
                .isNotEqualTo(Placeholders.warmAccess(KEY, "collab", "default-cdfgh"))
                .isNotEqualTo(Placeholders.warmAccess(KEY, "other", "default-bcdfg"));
        // a session's placeholder is bound to its uid: no session of the worker's name shares it
        assertThat(access).isNotEqualTo(Placeholders.access(KEY, "collab", "default-bcdfg", ""));
    }

    @Test
    void aReplacedGatewayKeyChangesTheFingerprint() {
        byte[] other = "fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.UTF_8);
        assertThat(WarmGatewayHome.keyFingerprint(KEY))
                .isNotEqualTo(WarmGatewayHome.keyFingerprint(other))
                .hasSize(12);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String decode(String b64) {
        return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
    }
}

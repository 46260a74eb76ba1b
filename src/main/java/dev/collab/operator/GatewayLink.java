package dev.collab.operator;

import dev.collab.api.CredentialsMode;
import dev.collab.config.CollabConfig;
import org.eclipse.microprofile.config.ConfigProvider;

/** What the operator needs to know about the credential gateway: the default mode, its URL, its key Secret. */
public record GatewayLink(CredentialsMode defaultMode, String url, String keySecret) {

    public static GatewayLink from(CollabConfig config) {
        String url = config.gateway()
                .url()
                .filter(u -> !u.isBlank())
                .orElseGet(() -> "http://127.0.0.1:"
                        + ConfigProvider.getConfig()
                                .getOptionalValue("quarkus.http.port", Integer.class)
                                .orElse(8080));
        return new GatewayLink(
                config.credentials().defaultMode(), url, config.gateway().keySecret());
    }

    public static GatewayLink defaults() {
        return new GatewayLink(
                CredentialsMode.Seeded, "http://collab-gateway.collab-system:8080", "collab-gateway-key");
    }

    /** The provider base URL a Gateway-mode session uses (opencode and the Anthropic SDK want it to end in /v1). */
    public String baseUrlV1() {
        return url.replaceAll("/+$", "") + "/v1";
    }

    public GatewayLink withDefaultMode(CredentialsMode mode) {
        return new GatewayLink(mode, url, keySecret);
    }
}

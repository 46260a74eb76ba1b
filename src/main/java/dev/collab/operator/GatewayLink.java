package dev.collab.operator;

import dev.collab.api.CredentialsMode;
import dev.collab.config.CollabConfig;
import java.net.URI;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * What the operator needs to know about the credential gateway: the default mode, its provider URL, its egress
 * proxy URL (no credential in it: the pod's proxy variables add the session's placeholder) and its key Secret.
 */
public record GatewayLink(CredentialsMode defaultMode, String url, String egressUrl, String keySecret) {

    public static GatewayLink from(CollabConfig config) {
        var mp = ConfigProvider.getConfig();
        String url = config.gateway()
                .url()
                .filter(u -> !u.isBlank())
                .orElseGet(() -> "http://127.0.0.1:"
                        + mp.getOptionalValue("quarkus.http.port", Integer.class)
                                .orElse(8080));
        // local mode: the gateway is this process, its egress proxy on collab.gateway.egress.port
        String egress = config.gateway()
                .egress()
                .url()
                .filter(u -> !u.isBlank())
                .orElseGet(() -> "http://127.0.0.1:" + config.gateway().egress().port());
        return new GatewayLink(
                config.credentials().defaultMode(),
                url,
                egress,
                config.gateway().keySecret());
    }

    public static GatewayLink defaults() {
        return new GatewayLink(
                CredentialsMode.Gateway,
                "http://collab-gateway.collab-system:8080",
                "http://collab-gateway.collab-system:3128",
                "collab-gateway-key");
    }

    /** The provider base URL a Gateway-mode session uses (opencode and the Anthropic SDK want it to end in /v1). */
    public String baseUrlV1() {
        return url.replaceAll("/+$", "") + "/v1";
    }

    /** Host of the provider URL: a session reaches it directly, never through its own proxy. */
    public String gatewayHost() {
        return URI.create(url).getHost();
    }

    /**
     * The proxy URL a session's HTTPS_PROXY holds: the egress URL with {@code collab:<placeholder>} as its user
     * info (the placeholder is base64url, so it needs no escaping).
     */
    public String egressUrlFor(String accessPlaceholder) {
        URI u = URI.create(egressUrl);
        return u.getScheme() + "://collab:" + accessPlaceholder + "@"
                + u.getRawAuthority().replaceAll("^.*@", "");
    }

    public GatewayLink withDefaultMode(CredentialsMode mode) {
        return new GatewayLink(mode, url, egressUrl, keySecret);
    }
}

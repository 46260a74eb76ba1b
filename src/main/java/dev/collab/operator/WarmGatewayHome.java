package dev.collab.operator;

import dev.collab.api.CollabLabels;
import dev.collab.api.CredentialAccounts;
import dev.collab.api.CredentialKey;
import dev.collab.api.Placeholders;
import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Pure: the placeholder HOME of a Gateway-mode warm worker (issue 29), and which sessions may run on it. A warm
 * worker starts before any session exists, so it gets the files a session with one Anthropic credential would get
 * (auth.json with an api-key entry), under placeholders bound to the worker ({@link Placeholders#warmAccess}).
 * A session may claim it when its own credential Secret yields the same files once the placeholders are set aside:
 * an api key in auth.json, or an accounts.json pool (the gateway picks the account, the pod only sends the
 * placeholder). Anything else (OAuth entries, other providers, an opencode.json of its own) would leave opencode
 * with files the session did not ask for, so such a session starts a worker of its own.
 */
final class WarmGatewayHome {
    /** What the warm worker's files are derived from: one Anthropic api key (its value never matters). */
    private static final Map<CredentialKey, byte[]> STANDARD = Map.of(
            CredentialKey.AUTH, "{\"anthropic\":{\"type\":\"api\",\"key\":\"-\"}}".getBytes(StandardCharsets.UTF_8));

    private static final String SAME_ACCESS = "access";
    private static final String SAME_REFRESH = "refresh";

    private WarmGatewayHome() {}

    /** The `<worker>-gateway-home` Secret data (base64): the files under the worker's placeholders, and its proxy URL. */
    static Map<String, String> data(byte[] gatewayKey, String namespace, String worker, GatewayLink link) {
        String access = Placeholders.warmAccess(gatewayKey, namespace, worker);
        return GatewayHomeDependent.secretData(
                PlaceholderHome.files(
                        STANDARD, access, Placeholders.warmRefresh(gatewayKey, namespace, worker), link.baseUrlV1()),
                access,
                link);
    }

    /** Whether a session with this credential Secret gets exactly a warm worker's files (placeholders aside). */
    static boolean fits(Secret real, GatewayLink link) {
        Map<String, String> data = real == null || real.getData() == null ? Map.of() : real.getData();
        Map<String, String> session = PlaceholderHome.files(
                GatewayHomeDependent.files(real),
                SAME_ACCESS,
                SAME_REFRESH,
                link.baseUrlV1(),
                data.containsKey(CredentialAccounts.KEY));
        return session.equals(PlaceholderHome.files(STANDARD, SAME_ACCESS, SAME_REFRESH, link.baseUrlV1()));
    }

    /**
     * A short digest of the gateway key: part of a Gateway pool's template hash, so that warm workers holding
     * placeholders under a replaced key are replaced too.
     */
    static String keyFingerprint(byte[] gatewayKey) {
        return gatewayKey == null
                ? "no-key"
                : CollabLabels.sha256Hex(gatewayKey).substring(0, 12);
    }
}

package dev.collab.api;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The placeholder credentials of a Gateway-mode session: HMAC-SHA256 under the gateway key (Secret
 * {@code collab-gateway-key}, key {@code key}, readable by the operator and the gateway only) over the session's
 * namespace, name and uid. Opaque (no session name in it), unforgeable without the key, bound to one incarnation of
 * one session (a recreated session has a new uid), and worth nothing anywhere but at the gateway, which in a cluster
 * also requires the session's pod IP. Rotating the key changes every placeholder (and so every gateway-home Secret:
 * the operator replaces the pods).
 */
public final class Placeholders {
    /** Data key of the gateway key Secret. */
    public static final String KEY_DATA_KEY = "key";

    public static final String PREFIX = "collab-gw-";
    /** OAuth placeholders expire on 2100-01-01: the plugin never tries to refresh them. */
    public static final long FAR_FUTURE_EXPIRY_MILLIS = 4_102_444_800_000L;

    private Placeholders() {}

    /** The key held by the gateway key Secret, or null when it is missing, not base64 or shorter than 16 bytes. */
    public static byte[] keyFrom(io.fabric8.kubernetes.api.model.Secret secret) {
        String encoded = secret == null || secret.getData() == null
                ? null
                : secret.getData().get(KEY_DATA_KEY);
        try {
            byte[] bytes = encoded == null ? null : Base64.getDecoder().decode(encoded.trim());
            return bytes == null || bytes.length < 16 ? null : bytes;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** What the session's files carry in place of api keys and OAuth access tokens; the gateway accepts only this. */
    public static String access(byte[] key, String namespace, String name, String uid) {
        return PREFIX + mac(key, "access", namespace, name, uid);
    }

    /** What the files carry in place of OAuth refresh tokens; the gateway accepts it nowhere. */
    public static String refresh(byte[] key, String namespace, String name, String uid) {
        return PREFIX + "r-" + mac(key, "refresh", namespace, name, uid);
    }

    /**
     * What a warm worker of a Gateway-mode pool holds in place of an access credential (issue 29): bound to the
     * worker's name, not to a session, so the worker starts before any session exists. The gateway accepts it only
     * for the session whose status names that worker as its pod, and only from that session's Ready pod address:
     * an unclaimed worker's placeholder is worth nothing, and a released or deleted one's stops working with the
     * claim.
     */
    public static String warmAccess(byte[] key, String namespace, String worker) {
        return PREFIX + mac(key, "warm-access", namespace, worker, "");
    }

    /** The warm worker's stand-in for OAuth refresh tokens; accepted nowhere. */
    public static String warmRefresh(byte[] key, String namespace, String worker) {
        return PREFIX + "r-" + mac(key, "warm-refresh", namespace, worker, "");
    }

    private static String mac(byte[] key, String purpose, String namespace, String name, String uid) {
        if (key == null || key.length < 16) {
            throw new IllegalArgumentException("the gateway key must hold at least 16 bytes");
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] out = mac.doFinal(String.join("\n", "collab-gateway/v1", purpose, namespace, name, uid)
                    .getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(out);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}

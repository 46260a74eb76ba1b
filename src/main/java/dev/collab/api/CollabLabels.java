package dev.collab.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;

/** Labels and annotations of docs/DESIGN.md section 3: the contract shared by operator, router and local node. */
public final class CollabLabels {
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY_VALUE = "collab-session-operator";
    public static final String PART_OF = "app.kubernetes.io/part-of";
    public static final String PART_OF_VALUE = "collab";
    public static final String SESSION = "collab.dev/session";
    public static final String OWNER = "collab.dev/owner";
    public static final String ROLE = "collab.dev/role";
    public static final String ROLE_ACCESS = "access";
    public static final String ROLE_WORKER = "worker";
    /** On Gateway-mode worker pods (value "gateway"): NetworkPolicy lets them reach the gateway and DNS only. */
    public static final String CREDENTIALS_MODE = "collab.dev/credentials-mode";

    public static final String CREDENTIALS_MODE_GATEWAY = "gateway";
    /** The `<name>-gateway-home` Secret: placeholder credential files of a Gateway-mode session. */
    public static final String ROLE_GATEWAY_HOME = "gateway-home";

    /** RFC 3339 time of the last request seen by the router; written only by the router (or kubectl). */
    public static final String LAST_ACTIVITY = "collab.dev/last-activity";
    /** Hash of the credential Secret data a pod is seeded from. */
    public static final String CREDENTIALS_HASH = "collab.dev/credentials-hash";
    /** Hash of the pod's desired spec; a different hash means the pod is replaced. */
    public static final String SPEC_HASH = "collab.dev/spec-hash";

    /** On a pod: the port its endpoint listens on when a node maps ports (the local node); absent = container port. */
    public static final String ENDPOINT_PORT = "collab.dev/endpoint-port";

    /**
     * On a HOME claim: the uid of the session the operator created it for (or adopted it into). A claim of a session
     * with storage.retainOnDelete has no controller reference (it outlives the session), so this is how the operator
     * tells its own claim from one planted under the name before the session existed, whose uid nobody knew yet.
     */
    public static final String SESSION_UID = "collab.dev/session-uid";

    /** On a pod: when the operator created it, by the operator's clock (start-timeout and idle reference). */
    public static final String CREATED_AT = "collab.dev/created-at";

    /**
     * On a credential Secret: opted in for sessions (value "true"). The operator uses a Secret as a session's
     * credentials only with this label and an {@link #OWNER} label equal to the session's owner label, so a
     * CollabSession cannot name (and read, through its shell) any other Secret of the namespace.
     */
    public static final String CREDENTIALS = "collab.dev/credentials";

    public static final String CREDENTIALS_VALUE = "true";

    /**
     * On a warm worker's pod, HOME claim and access Secret: the CollabSessionPool it was made for. It stays after a
     * claim; a worker is warm (claimable) while it has no {@link #SESSION} label.
     */
    public static final String POOL = "collab.dev/pool";
    /** On a claimed pod: the session's credentials have not reached opencode yet; no endpoint is published. */
    public static final String CREDENTIALS_PENDING = "collab.dev/credentials-pending";

    /** Keys of the access Secret. */
    public static final String ACCESS_TOKEN_KEY = "token";

    public static final String ACCESS_SERVER_PASSWORD_KEY = "server-password";
    /** Key of the gateway-home Secret: the egress proxy URL with the session's placeholder (its HTTPS_PROXY). */
    public static final String EGRESS_PROXY_URL_KEY = "egress-proxy-url";

    private static final int MAX_LABEL_VALUE = 63;

    /**
     * Longest CollabSession name: the name is the value of the {@link #SESSION} label of every child, and a label
     * value has at most 63 characters. The CRD rejects longer names; the operator answers them with NameTooLong.
     */
    public static final int MAX_SESSION_NAME = MAX_LABEL_VALUE;

    private CollabLabels() {}

    public static String accessSecretName(String session) {
        return session + "-access";
    }

    public static String gatewayHomeSecretName(String session) {
        return session + "-gateway-home";
    }

    public static String homeClaimName(String session) {
        return session + "-home";
    }

    /** Labels that opt a credential Secret in for the sessions of this owner. */
    public static Map<String, String> credentialSecretLabels(String owner) {
        return Map.of(PART_OF, PART_OF_VALUE, CREDENTIALS, CREDENTIALS_VALUE, OWNER, ownerLabelValue(owner));
    }

    /** Labels every child of a session carries. */
    public static Map<String, String> childLabels(String session, String owner, String role) {
        return role == null
                ? Map.of(
                        MANAGED_BY,
                        MANAGED_BY_VALUE,
                        PART_OF,
                        PART_OF_VALUE,
                        SESSION,
                        session,
                        OWNER,
                        ownerLabelValue(owner))
                : Map.of(
                        MANAGED_BY,
                        MANAGED_BY_VALUE,
                        PART_OF,
                        PART_OF_VALUE,
                        SESSION,
                        session,
                        OWNER,
                        ownerLabelValue(owner),
                        ROLE,
                        role);
    }

    /** Hex digits of sha256(owner) that end every owner label value: 64 bits, so no owner can be made to collide. */
    static final int OWNER_HASH_CHARS = 16;

    /**
     * The owner as a valid label value, injective (docs/DESIGN.md section 3): a readable prefix (the owner lowercased,
     * characters outside [a-z0-9._-] replaced by '-', trimmed to alphanumerics at both ends, cut to fit) and '-' and
     * the first {@value #OWNER_HASH_CHARS} hex digits of sha256 of the exact owner string. The prefix alone was the
     * label before issue 30, and {@code alice@example.com} and {@code alice-example.com} shared it, so a Secret opted
     * in for one served the other: the hash suffix tells them apart. Owners that differ only in case are different
     * owners, as they are different user names to the API server.
     */
    public static String ownerLabelValue(String owner) {
        if (owner == null || owner.isEmpty()) {
            return "";
        }
        String hash = sha256Hex(owner).substring(0, OWNER_HASH_CHARS);
        String readable = readablePrefix(owner);
        int room = MAX_LABEL_VALUE - OWNER_HASH_CHARS - 1;
        if (readable.length() > room) {
            readable = trimNonAlphanumeric(readable.substring(0, room));
        }
        return readable.isEmpty() ? hash : readable + "-" + hash;
    }

    /**
     * The owner label value before issue 30 (the readable prefix only, hashed only when too long, not injective).
     * Kept to recognise Secrets opted in under it: they are no longer used (a value that several owners share cannot
     * say whose a Secret is), and the condition or the upload's answer names the new value to relabel them with.
     */
    public static String legacyOwnerLabelValue(String owner) {
        if (owner == null || owner.isBlank()) {
            return "";
        }
        String value = readablePrefix(owner);
        if (value.length() > MAX_LABEL_VALUE) {
            String suffix = sha256Hex(owner).substring(0, 10);
            value = trimNonAlphanumeric(value.substring(0, MAX_LABEL_VALUE - suffix.length() - 1)) + "-" + suffix;
        }
        return value.isEmpty() ? "h-" + sha256Hex(owner).substring(0, 10) : value;
    }

    private static String readablePrefix(String owner) {
        return trimNonAlphanumeric(owner.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-"));
    }

    /**
     * Whether a Secret's owner label is this owner's label value of before issue 30 (and not the current one): an
     * opt-in to relabel, not to use.
     */
    public static boolean isLegacyOwnerLabel(String labelValue, String owner) {
        return labelValue != null
                && !labelValue.isEmpty()
                && !labelValue.equals(ownerLabelValue(owner))
                && labelValue.equals(legacyOwnerLabelValue(owner));
    }

    private static String trimNonAlphanumeric(String value) {
        int start = 0;
        int end = value.length();
        while (start < end && !Character.isLetterOrDigit(value.charAt(start))) {
            start++;
        }
        while (end > start && !Character.isLetterOrDigit(value.charAt(end - 1))) {
            end--;
        }
        return value.substring(start, end);
    }

    public static String sha256Hex(String text) {
        return sha256Hex(text.getBytes(StandardCharsets.UTF_8));
    }

    public static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }
}

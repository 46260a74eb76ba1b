package dev.collab.api;

/**
 * Condition reasons a CollabSession's status carries (docs/DESIGN.md section 2): CamelCase words a person can act
 * on. Kubelet reasons (CrashLoopBackOff, ImagePullBackOff, Unschedulable, ...) are copied through as they come.
 */
public final class ConditionReasons {
    // Ready=False with phase Failed: the spec cannot run as written.
    public static final String MISSING_SPEC = "MissingSpec";
    public static final String MISSING_OWNER = "MissingOwner";
    public static final String MISSING_CREDENTIALS_SECRET = "MissingCredentialsSecret";
    public static final String INVALID_IDLE_TIMEOUT = "InvalidIdleTimeout";
    public static final String INVALID_ENV = "InvalidEnv";
    public static final String FORBIDDEN_ENV = "ForbiddenEnv";
    /** An entry of spec.egress.allow that is not a host, *.domain, address or range with an optional port. */
    public static final String INVALID_EGRESS_ALLOW = "InvalidEgressAllow";

    public static final String INVALID_STORAGE_SIZE = "InvalidStorageSize";
    public static final String FORBIDDEN_ENV_VALUE_FROM = "ForbiddenEnvValueFrom";
    public static final String NAME_TOO_LONG = "NameTooLong";
    /**
     * An object under one of the session's child names (pod, HOME claim, access or gateway-home Secret) that the
     * operator did not create for this session's uid: never used or adopted (issue 30).
     */
    public static final String FOREIGN_CHILD_OBJECT = "ForeignChildObject";
    // CredentialsReady.
    public static final String SECRET_NOT_FOUND = "SecretNotFound";
    public static final String SECRET_OWNER_MISMATCH = "SecretOwnerMismatch";
    /** The Secret carries this owner's label value of before issue 30 (not injective): relabel it to the new value. */
    public static final String SECRET_OWNER_LABEL_OUTDATED = "SecretOwnerLabelOutdated";

    public static final String INVALID_SECRET_DATA = "InvalidSecretData";
    public static final String NO_KNOWN_CREDENTIAL_KEYS = "NoKnownCredentialKeys";
    public static final String CREDENTIALS_FOUND = "CredentialsFound";
    /** Ready, but the Claude subscription replaces the anthropic API key of auth.json. */
    public static final String SUBSCRIPTION_REPLACES_API_KEY = "SubscriptionReplacesApiKey";
    // Ready.
    public static final String POD_CREATING = "PodCreating";
    public static final String POD_REPLACING = "PodReplacing";
    /** The pod is to be replaced: its endpoint is withdrawn (requests are held) until its agent finishes. */
    public static final String POD_DRAINING = "PodDraining";

    public static final String POD_READY = "PodReady";
    public static final String START_TIMEOUT = "StartTimeout";
    public static final String POD_STARTING = "PodStarting";
    // Idle.
    public static final String IDLE_TIMEOUT = "IdleTimeout";
    public static final String ACTIVE = "Active";
    // ReloginRequired.
    public static final String REFRESH_TOKEN_REFUSED = "RefreshTokenRefused";
    public static final String ACCOUNTS_LOGGED_IN = "AccountsLoggedIn";
    // StorageReady.
    public static final String CLAIM_MISSING = "ClaimMissing";
    public static final String BOUND = "Bound";
    public static final String CLAIM_LOST = "ClaimLost";
    public static final String WAIT_FOR_FIRST_CONSUMER = "WaitForFirstConsumer";

    private ConditionReasons() {}
}

package dev.collab.api;

import java.util.Arrays;
import java.util.Optional;

/** The credential Secret keys of docs/DESIGN.md section 2 and where each lands under the session HOME. */
public enum CredentialKey {
    CLAUDE_CREDENTIALS("claude-credentials.json", ".claude/.credentials.json"),
    AUTH("auth.json", ".local/share/opencode/auth.json"),
    OPENCODE_CONFIG("opencode.json", ".config/opencode/opencode.json");

    private final String secretKey;
    private final String homePath;

    CredentialKey(String secretKey, String homePath) {
        this.secretKey = secretKey;
        this.homePath = homePath;
    }

    public String secretKey() {
        return secretKey;
    }

    /** Path relative to HOME. */
    public String homePath() {
        return homePath;
    }

    public static Optional<CredentialKey> fromSecretKey(String key) {
        return Arrays.stream(values()).filter(k -> k.secretKey.equals(key)).findFirst();
    }
}

package dev.collab.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** Points at the Secret that holds this session's own provider credentials. */
public class CredentialsRef {
    @Required
    @JsonPropertyDescription(
            "Secret in the session's namespace with any of the keys claude-credentials.json, auth.json, opencode.json.")
    private String secretName;

    @JsonPropertyDescription(
            "Seeded: the Secret is copied into the session HOME. Gateway: HOME gets placeholders and "
                    + "the credential gateway adds the real key to each provider request. Default from collab.credentials.default-mode.")
    private CredentialsMode mode;

    @JsonPropertyDescription(
            "Gateway mode: daily budget of the owner's provider use for this session's requests (overrides"
                    + " collab.gateway.budget.*); when used up the gateway answers 429.")
    private DailyBudget budget;

    public CredentialsRef() {}

    public CredentialsRef(String secretName) {
        this.secretName = secretName;
    }

    public String getSecretName() {
        return secretName;
    }

    public void setSecretName(String secretName) {
        this.secretName = secretName;
    }

    /** As written in the spec; null means the configured default. */
    public CredentialsMode getMode() {
        return mode;
    }

    public void setMode(CredentialsMode mode) {
        this.mode = mode;
    }

    public DailyBudget getBudget() {
        return budget;
    }

    public void setBudget(DailyBudget budget) {
        this.budget = budget;
    }
}

package dev.collab.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** Points at the Secret that holds this session's own provider credentials. */
public class CredentialsRef {
    @Required
    @JsonPropertyDescription("Secret in the session's namespace with any of the keys claude-credentials.json, auth.json, opencode.json.")
    private String secretName;

    public CredentialsRef() {
    }

    public CredentialsRef(String secretName) {
        this.secretName = secretName;
    }

    public String getSecretName() {
        return secretName;
    }

    public void setSecretName(String secretName) {
        this.secretName = secretName;
    }
}

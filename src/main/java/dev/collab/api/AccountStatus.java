package dev.collab.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.Objects;

/** One account of the session's credential pool as the credential gateway last reported it (no secret value). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class AccountStatus {
    public static final String ACTIVE = "Active";
    public static final String COOLING_DOWN = "CoolingDown";
    public static final String RELOGIN_REQUIRED = "ReloginRequired";
    /** The owner disabled it (accounts.json "disabled": true): kept, never chosen. */
    public static final String DISABLED = "Disabled";

    @JsonPropertyDescription("The account's name in accounts.json (subscription or api-key for single-account keys).")
    private String name;

    @JsonPropertyDescription("ApiKey or OAuth.")
    private String type;

    @JsonPropertyDescription("Active, CoolingDown (until the time in until), ReloginRequired (log in again: POST"
            + " /collab/accounts/{owner}/login with this name) or Disabled (turned off by the owner).")
    private String state;

    @JsonPropertyDescription("CoolingDown: when the provider said the limit resets (RFC 3339).")
    private String until;

    private String message;

    @JsonPropertyDescription("Requests answered with this account (all sessions sharing the Secret).")
    private long requests;

    private long inputTokens;
    private long outputTokens;

    public AccountStatus() {}

    public AccountStatus(String name, String type, String state, String until, String message) {
        this.name = name;
        this.type = type;
        this.state = state;
        this.until = until;
        this.message = message;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getType() {
        return type;
    }

    public void setType(String type) {
        this.type = type;
    }

    public String getState() {
        return state;
    }

    public void setState(String state) {
        this.state = state;
    }

    public String getUntil() {
        return until;
    }

    public void setUntil(String until) {
        this.until = until;
    }

    public String getMessage() {
        return message;
    }

    public void setMessage(String message) {
        this.message = message;
    }

    public long getRequests() {
        return requests;
    }

    public void setRequests(long requests) {
        this.requests = requests;
    }

    public long getInputTokens() {
        return inputTokens;
    }

    public void setInputTokens(long inputTokens) {
        this.inputTokens = inputTokens;
    }

    public long getOutputTokens() {
        return outputTokens;
    }

    public void setOutputTokens(long outputTokens) {
        this.outputTokens = outputTokens;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AccountStatus a
                && Objects.equals(name, a.name)
                && Objects.equals(type, a.type)
                && Objects.equals(state, a.state)
                && Objects.equals(until, a.until)
                && Objects.equals(message, a.message)
                && requests == a.requests
                && inputTokens == a.inputTokens
                && outputTokens == a.outputTokens;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, state, until, requests);
    }
}

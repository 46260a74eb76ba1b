package dev.collab.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class CollabSessionStatus {
    private SessionPhase phase;
    private StoppedReason stoppedReason;
    private List<Condition> conditions = new ArrayList<>();
    private Long observedGeneration;
    private String podName;
    private String endpoint;
    private String accessSecretName;
    private String credentialsHash;
    private String lastActivityTime;
    private String startedAt;
    private String stoppedAt;
    private Integer restartCount;
    private String message;

    @JsonPropertyDescription("Gateway mode: provider usage totals written by the credential gateway at a bounded rate.")
    private SessionUsage usage;

    @JsonPropertyDescription(
            "Gateway mode: connections and bytes through the gateway's egress proxy, written with usage.")
    private SessionEgress egress;

    @JsonPropertyDescription(
            "Gateway mode: the accounts of the credential Secret as the credential gateway reports them (no secret"
                    + " values): name, type, state (Active, CoolingDown until a time, ReloginRequired), requests, tokens.")
    private List<AccountStatus> accounts;

    public SessionPhase getPhase() {
        return phase;
    }

    public void setPhase(SessionPhase phase) {
        this.phase = phase;
    }

    public StoppedReason getStoppedReason() {
        return stoppedReason;
    }

    public void setStoppedReason(StoppedReason stoppedReason) {
        this.stoppedReason = stoppedReason;
    }

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions == null ? new ArrayList<>() : conditions;
    }

    public Long getObservedGeneration() {
        return observedGeneration;
    }

    public void setObservedGeneration(Long observedGeneration) {
        this.observedGeneration = observedGeneration;
    }

    public String getPodName() {
        return podName;
    }

    public void setPodName(String podName) {
        this.podName = podName;
    }

    public String getEndpoint() {
        return endpoint;
    }

    public void setEndpoint(String endpoint) {
        this.endpoint = endpoint;
    }

    public String getAccessSecretName() {
        return accessSecretName;
    }

    public void setAccessSecretName(String accessSecretName) {
        this.accessSecretName = accessSecretName;
    }

    public String getCredentialsHash() {
        return credentialsHash;
    }

    public void setCredentialsHash(String credentialsHash) {
        this.credentialsHash = credentialsHash;
    }

    public String getLastActivityTime() {
        return lastActivityTime;
    }

    public void setLastActivityTime(String lastActivityTime) {
        this.lastActivityTime = lastActivityTime;
    }

    public String getStartedAt() {
        return startedAt;
    }

    public void setStartedAt(String startedAt) {
        this.startedAt = startedAt;
    }

    /** When the pod was stopped for idleness or capacity: activity after this moment wakes the session. */
    public String getStoppedAt() {
        return stoppedAt;
    }

    public void setStoppedAt(String stoppedAt) {
        this.stoppedAt = stoppedAt;
    }

    public Integer getRestartCount() {
        return restartCount;
    }

    public void setRestartCount(Integer restartCount) {
        this.restartCount = restartCount;
    }

    public String getMessage() {
        return message;
    }

    public void setMessage(String message) {
        this.message = message;
    }

    public List<AccountStatus> getAccounts() {
        return accounts;
    }

    public void setAccounts(List<AccountStatus> accounts) {
        this.accounts = accounts;
    }

    public SessionUsage getUsage() {
        return usage;
    }

    public void setUsage(SessionUsage usage) {
        this.usage = usage;
    }

    /** The condition of this type, or null. */
    public Condition condition(String type) {
        return conditions.stream()
                .filter(c -> type.equals(c.getType()))
                .findFirst()
                .orElse(null);
    }

    public boolean isConditionTrue(String type) {
        Condition c = condition(type);
        return c != null && "True".equals(c.getStatus());
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof CollabSessionStatus other)) {
            return false;
        }
        return phase == other.phase
                && stoppedReason == other.stoppedReason
                && Objects.equals(conditions, other.conditions)
                && Objects.equals(observedGeneration, other.observedGeneration)
                && Objects.equals(podName, other.podName)
                && Objects.equals(endpoint, other.endpoint)
                && Objects.equals(accessSecretName, other.accessSecretName)
                && Objects.equals(credentialsHash, other.credentialsHash)
                && Objects.equals(lastActivityTime, other.lastActivityTime)
                && Objects.equals(startedAt, other.startedAt)
                && Objects.equals(stoppedAt, other.stoppedAt)
                && Objects.equals(restartCount, other.restartCount)
                && Objects.equals(message, other.message)
                && Objects.equals(usage, other.usage)
                && Objects.equals(accounts, other.accounts);
    }

    @Override
    public int hashCode() {
        return Objects.hash(phase, stoppedReason, conditions, observedGeneration, podName, endpoint, credentialsHash);
    }

    public SessionEgress getEgress() {
        return egress;
    }

    public void setEgress(SessionEgress egress) {
        this.egress = egress;
    }
}

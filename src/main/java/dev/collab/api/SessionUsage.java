package dev.collab.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.math.BigDecimal;
import java.util.Map;
import java.util.Objects;

/** Provider usage of one session as counted by the credential gateway (Gateway mode only). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SessionUsage {
    @JsonPropertyDescription("Provider requests answered through the gateway.")
    private long requests;

    private long inputTokens;
    private long outputTokens;
    private long cacheReadTokens;
    private long cacheWriteTokens;

    @JsonProperty("costUSD")
    @JsonPropertyDescription("What these tokens cost in USD at the gateway's price table (collab.gateway.prices);"
            + " tokens of a model without a price add nothing.")
    private BigDecimal costUSD;

    @JsonPropertyDescription("When the gateway last added to these totals (RFC 3339).")
    private String updatedAt;

    @JsonPropertyDescription("The account of the owner's pool that answered this session's latest request.")
    private String lastAccount;

    @JsonPropertyDescription("Requests and tokens of this session by the account that answered them.")
    private Map<String, AccountUsage> accounts;

    public SessionUsage() {}

    public SessionUsage(
            long requests,
            long inputTokens,
            long outputTokens,
            long cacheReadTokens,
            long cacheWriteTokens,
            String updatedAt) {
        this.requests = requests;
        this.inputTokens = inputTokens;
        this.outputTokens = outputTokens;
        this.cacheReadTokens = cacheReadTokens;
        this.cacheWriteTokens = cacheWriteTokens;
        this.updatedAt = updatedAt;
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

    public long getCacheReadTokens() {
        return cacheReadTokens;
    }

    public void setCacheReadTokens(long cacheReadTokens) {
        this.cacheReadTokens = cacheReadTokens;
    }

    public long getCacheWriteTokens() {
        return cacheWriteTokens;
    }

    public void setCacheWriteTokens(long cacheWriteTokens) {
        this.cacheWriteTokens = cacheWriteTokens;
    }

    @JsonProperty("costUSD")
    public BigDecimal getCostUSD() {
        return costUSD;
    }

    @JsonProperty("costUSD")
    public void setCostUSD(BigDecimal costUSD) {
        this.costUSD = costUSD;
    }

    public String getUpdatedAt() {
        return updatedAt;
    }

    public void setUpdatedAt(String updatedAt) {
        this.updatedAt = updatedAt;
    }

    public String getLastAccount() {
        return lastAccount;
    }

    public void setLastAccount(String lastAccount) {
        this.lastAccount = lastAccount;
    }

    public Map<String, AccountUsage> getAccounts() {
        return accounts;
    }

    public void setAccounts(Map<String, AccountUsage> accounts) {
        this.accounts = accounts;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SessionUsage u
                && requests == u.requests
                && inputTokens == u.inputTokens
                && outputTokens == u.outputTokens
                && cacheReadTokens == u.cacheReadTokens
                && cacheWriteTokens == u.cacheWriteTokens
                && (costUSD == null ? u.costUSD == null : u.costUSD != null && costUSD.compareTo(u.costUSD) == 0)
                && Objects.equals(updatedAt, u.updatedAt)
                && Objects.equals(lastAccount, u.lastAccount)
                && Objects.equals(accounts, u.accounts);
    }

    @Override
    public int hashCode() {
        return Objects.hash(requests, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens);
    }
}

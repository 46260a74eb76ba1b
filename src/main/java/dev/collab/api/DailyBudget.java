package dev.collab.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import java.math.BigDecimal;

/** Gateway mode: how much of the owner's provider use per UTC day this session may draw on. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DailyBudget {
    @Min(0)
    @JsonPropertyDescription(
            "Input plus output tokens per owner per UTC day; replaces collab.gateway.budget.daily-tokens for this"
                    + " session's requests. 0 = no limit.")
    private Long tokens;

    @Min(0)
    @JsonPropertyDescription(
            "Provider requests per owner per UTC day; replaces collab.gateway.budget.daily-requests. 0 = no limit.")
    private Long requests;

    @Min(0)
    @JsonPropertyDescription("Bytes (up plus down) through the gateway's egress proxy per owner per UTC day;"
            + " replaces collab.gateway.egress.daily-bytes. 0 = no limit.")
    private Long egressBytes;

    @Min(0)
    @JsonPropertyDescription("USD per owner per UTC day at the gateway's price table (collab.gateway.prices), e.g. 25"
            + " or 2.50; replaces collab.gateway.accounts.daily-usd. 0 = no limit.")
    private BigDecimal usd;

    public DailyBudget() {}

    public DailyBudget(Long tokens, Long requests) {
        this.tokens = tokens;
        this.requests = requests;
    }

    public Long getTokens() {
        return tokens;
    }

    public void setTokens(Long tokens) {
        this.tokens = tokens;
    }

    public Long getRequests() {
        return requests;
    }

    public void setRequests(Long requests) {
        this.requests = requests;
    }

    public BigDecimal getUsd() {
        return usd;
    }

    public void setUsd(BigDecimal usd) {
        this.usd = usd;
    }

    public Long getEgressBytes() {
        return egressBytes;
    }

    public void setEgressBytes(Long egressBytes) {
        this.egressBytes = egressBytes;
    }
}

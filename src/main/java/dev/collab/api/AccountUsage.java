package dev.collab.api;

import java.util.Objects;

/** What one account of the owner's pool answered for one session (status.usage.accounts, Gateway mode). */
public class AccountUsage {
    private long requests;
    private long inputTokens;
    private long outputTokens;

    public AccountUsage() {}

    public AccountUsage(long requests, long inputTokens, long outputTokens) {
        this.requests = requests;
        this.inputTokens = inputTokens;
        this.outputTokens = outputTokens;
    }

    public AccountUsage plus(long moreRequests, long moreInput, long moreOutput) {
        return new AccountUsage(requests + moreRequests, inputTokens + moreInput, outputTokens + moreOutput);
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
        return o instanceof AccountUsage u
                && requests == u.requests
                && inputTokens == u.inputTokens
                && outputTokens == u.outputTokens;
    }

    @Override
    public int hashCode() {
        return Objects.hash(requests, inputTokens, outputTokens);
    }
}

package dev.collab.gateway;

import dev.collab.api.AccountUsage;
import dev.collab.api.SessionEgress;
import dev.collab.api.SessionUsage;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;
import java.util.TreeMap;

/**
 * Pure: what a session used since the gateway last wrote its status (provider usage, by account, and egress, all
 * added in the same status update), and the totals after adding it.
 */
record UsageDelta(
        long requests,
        long input,
        long output,
        long cacheRead,
        long cacheWrite,
        long connections,
        long refused,
        long bytesUp,
        long bytesDown,
        long costNanos,
        String lastAccount,
        Map<String, AccountUsage> accounts) {
    static UsageDelta usage(
            long requests, long input, long output, long cacheRead, long cacheWrite, long costNanos, String account) {
        return new UsageDelta(
                requests,
                input,
                output,
                cacheRead,
                cacheWrite,
                0,
                0,
                0,
                0,
                costNanos,
                account,
                account == null ? Map.of() : Map.of(account, new AccountUsage(requests, input, output)));
    }

    UsageDelta plus(UsageDelta o) {
        return new UsageDelta(
                requests + o.requests,
                input + o.input,
                output + o.output,
                cacheRead + o.cacheRead,
                cacheWrite + o.cacheWrite,
                connections + o.connections,
                refused + o.refused,
                bytesUp + o.bytesUp,
                bytesDown + o.bytesDown,
                costNanos + o.costNanos,
                o.lastAccount != null ? o.lastAccount : lastAccount, // o is the later delta
                plusAccounts(accounts, o.accounts));
    }

    static Map<String, AccountUsage> plusAccounts(Map<String, AccountUsage> a, Map<String, AccountUsage> b) {
        if (b.isEmpty()) {
            return a;
        }
        Map<String, AccountUsage> sum = new TreeMap<>(a);
        b.forEach((name, u) ->
                sum.merge(name, u, (x, y) -> x.plus(y.getRequests(), y.getInputTokens(), y.getOutputTokens())));
        return sum;
    }

    boolean hasUsage() {
        return requests != 0 || input != 0 || output != 0 || cacheRead != 0 || cacheWrite != 0;
    }

    boolean hasEgress() {
        return connections != 0 || refused != 0 || bytesUp != 0 || bytesDown != 0;
    }

    /** The session's status.usage after this delta (updatedAt = {@code now}). */
    SessionUsage addedTo(SessionUsage current, String now) {
        SessionUsage old = current == null ? new SessionUsage() : current;
        SessionUsage next = new SessionUsage(
                old.getRequests() + requests,
                old.getInputTokens() + input,
                old.getOutputTokens() + output,
                old.getCacheReadTokens() + cacheRead,
                old.getCacheWriteTokens() + cacheWrite,
                now);
        next.setCostUSD(costTotal(old.getCostUSD(), costNanos));
        next.setLastAccount(lastAccount != null ? lastAccount : old.getLastAccount());
        Map<String, AccountUsage> sum =
                plusAccounts(old.getAccounts() == null ? Map.of() : old.getAccounts(), accounts);
        next.setAccounts(sum.isEmpty() ? null : sum);
        return next;
    }

    /** The session's status.egress after this delta (updatedAt = {@code now}). */
    SessionEgress egressAddedTo(SessionEgress current, String now) {
        SessionEgress old = current == null ? new SessionEgress() : current;
        return new SessionEgress(
                old.getConnections() + connections,
                old.getRefused() + refused,
                old.getBytesUp() + bytesUp,
                old.getBytesDown() + bytesDown,
                now);
    }

    /** The session's USD total after {@code nanos} more: nano-USD precision, no trailing zeros ("0.0123"). */
    static BigDecimal costTotal(BigDecimal old, long nanos) {
        BigDecimal sum = (old == null ? BigDecimal.ZERO : old).add(PriceTable.usd(nanos));
        sum = sum.setScale(9, RoundingMode.HALF_UP).stripTrailingZeros();
        return sum.scale() < 0 ? sum.setScale(0) : sum;
    }
}

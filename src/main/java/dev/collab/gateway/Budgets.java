package dev.collab.gateway;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Daily budgets per owner (UTC days): tokens (input plus output), requests and USD cost counted as responses pass, checked
 * before a request goes upstream. The limit is collab.gateway.accounts.daily-* unless the session's
 * spec.credentials.budget names its own. Counted per gateway replica: with N replicas an owner can use up to N
 * times the budget (documented; a shared counter would cost a write per request).
 */
final class Budgets {
    private record Day(
            LocalDate date,
            AtomicLong tokens,
            AtomicLong requests,
            AtomicBoolean reported,
            AtomicLong egressBytes,
            AtomicBoolean egressReported,
            AtomicLong costNanos) {}

    /** A refusal: the message for the client and whether this is the first of the day (one Event per owner and day). */
    record Refusal(String message, Instant resetsAt, boolean first) {}

    private final GatewaySettings.Pools settings;
    private final long dailyEgressBytes;
    private final Map<String, Day> days = new ConcurrentHashMap<>();

    Budgets(GatewaySettings.Pools settings) {
        this(settings, 0);
    }

    Budgets(GatewaySettings.Pools settings, long dailyEgressBytes) {
        this.settings = settings;
        this.dailyEgressBytes = dailyEgressBytes;
    }

    /**
     * The egress byte budget (up plus down through the egress proxy), checked when a connection opens: a tunnel
     * already open runs on (its bytes still count), so a day can end a little over the limit.
     */
    Refusal checkEgress(GatewayDirectory.Target target, Instant now) {
        long limit = target.budget() != null && target.budget().getEgressBytes() != null
                ? target.budget().getEgressBytes()
                : dailyEgressBytes;
        if (limit <= 0) {
            return null;
        }
        Day day = day(target.owner(), now);
        if (day.egressBytes().get() < limit) {
            return null;
        }
        Instant reset = day.date().plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        return new Refusal(
                "the daily egress budget of " + limit + " bytes of owner " + target.owner() + " is used up (used "
                        + day.egressBytes().get() + "); it resets at " + reset,
                reset,
                day.egressReported().compareAndSet(false, true));
    }

    void addEgress(String owner, long bytes, Instant now) {
        if (bytes > 0) {
            day(owner, now).egressBytes().addAndGet(bytes);
        }
    }

    Refusal check(GatewayDirectory.Target target, Instant now) {
        long tokenLimit = target.budget() != null && target.budget().getTokens() != null
                ? target.budget().getTokens()
                : settings.dailyTokens();
        long requestLimit = target.budget() != null && target.budget().getRequests() != null
                ? target.budget().getRequests()
                : settings.dailyRequests();
        BigDecimal usdLimit = target.budget() != null && target.budget().getUsd() != null
                ? target.budget().getUsd()
                : settings.dailyUsd();
        boolean usd = usdLimit != null && usdLimit.signum() > 0;
        if (tokenLimit <= 0 && requestLimit <= 0 && !usd) {
            return null;
        }
        Day day = day(target.owner(), now);
        String what = null;
        if (tokenLimit > 0 && day.tokens().get() >= tokenLimit) {
            what = "token budget of " + tokenLimit + " tokens (used "
                    + day.tokens().get() + ")";
        } else if (requestLimit > 0 && day.requests().get() >= requestLimit) {
            what = "request budget of " + requestLimit + " requests";
        } else if (usd && PriceTable.usd(day.costNanos().get()).compareTo(usdLimit) >= 0) {
            what = "cost budget of " + usdLimit.stripTrailingZeros().toPlainString() + " USD (used "
                    + PriceTable.usd(day.costNanos().get())
                            .setScale(4, RoundingMode.HALF_UP)
                            .toPlainString() + ")";
        }
        if (what == null) {
            return null;
        }
        Instant reset = day.date().plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        return new Refusal(
                "the daily " + what + " of owner " + target.owner() + " is used up; it resets at " + reset,
                reset,
                day.reported().compareAndSet(false, true));
    }

    /** One answered request: its tokens and its cost ({@link PriceTable}, nano-USD). */
    void add(String owner, Usage usage, long costNanos, Instant now) {
        Day day = day(owner, now);
        day.requests().incrementAndGet();
        if (usage != null) {
            day.tokens().addAndGet(usage.inputTokens() + usage.outputTokens());
        }
        if (costNanos > 0) {
            day.costNanos().addAndGet(costNanos);
        }
    }

    private Day day(String owner, Instant now) {
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        return days.compute(
                owner,
                (o, d) -> d != null && d.date().equals(today)
                        ? d
                        : new Day(
                                today,
                                new AtomicLong(),
                                new AtomicLong(),
                                new AtomicBoolean(),
                                new AtomicLong(),
                                new AtomicBoolean(),
                                new AtomicLong()));
    }
}

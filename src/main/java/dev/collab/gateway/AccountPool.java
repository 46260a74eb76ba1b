package dev.collab.gateway;

import dev.collab.api.AccountPoolState;
import dev.collab.api.AccountStatus;
import dev.collab.api.CredentialAccounts;
import dev.collab.api.CredentialAccounts.Account;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The accounts of one credential Secret and what this gateway knows about each: cooling down until when (its own
 * observation or another replica's, from the Secret's annotation), needing a new login, and usage not yet written.
 * Every session of the owner naming the Secret shares this state. Choice: the first account in the listed order
 * that is neither cooling down nor waiting for a login, so a pool stays on one account while it works and returns
 * to it after its reset.
 */
final class AccountPool {
    /** What a request gets: an account, or why none. */
    sealed interface Choice {
        record Use(Account account) implements Choice {}

        record AllCoolingDown(Instant earliestReset) implements Choice {}

        record Unusable(String message) implements Choice {}
    }

    /** This gateway's view of one account. */
    static final class Slot {
        volatile Instant coolingUntil = Instant.EPOCH;
        volatile String coolingReason;
        volatile String reloginCredential;
        volatile String reloginMessage;
        final AtomicLong requests = new AtomicLong();
        final AtomicLong inputTokens = new AtomicLong();
        final AtomicLong outputTokens = new AtomicLong();
        volatile boolean dirty;
    }

    private final String namespace;
    private final String secretName;
    private final String owner;
    private volatile CredentialAccounts.Accounts accounts = new CredentialAccounts.Accounts(List.of(), false);
    private final Map<String, Slot> slots = new ConcurrentHashMap<>();
    /** The annotation as the Secret last carried it: every replica's counts written so far. */
    private volatile List<AccountPoolState.Entry> published = List.of();

    AccountPool(String namespace, String secretName, String owner) {
        this.namespace = namespace;
        this.secretName = secretName;
        this.owner = owner;
    }

    String namespace() {
        return namespace;
    }

    String secretName() {
        return secretName;
    }

    String owner() {
        return owner;
    }

    CredentialAccounts.Accounts accounts() {
        return accounts;
    }

    Slot slot(String account) {
        return slots.computeIfAbsent(account, n -> new Slot());
    }

    /** A new version of the Secret: its accounts, and what other replicas recorded (a later cooldown, a relogin). */
    void update(Secret secret) {
        accounts = CredentialAccounts.of(secret.getData());
        published = AccountPoolState.read(secret);
        for (AccountPoolState.Entry e : published) {
            if (e.name() == null) {
                continue;
            }
            Slot s = slot(e.name());
            if (AccountStatus.COOLING_DOWN.equals(e.state()) && e.until() != null) {
                try {
                    Instant until = Instant.parse(e.until());
                    if (until.isAfter(s.coolingUntil)) {
                        s.coolingUntil = until;
                        s.coolingReason = e.message();
                    }
                } catch (DateTimeParseException ignored) {
                    // not a time: nothing to respect
                }
            }
            if (AccountStatus.RELOGIN_REQUIRED.equals(e.state()) && s.reloginCredential == null) {
                s.reloginCredential = e.credential();
                s.reloginMessage = e.message();
            }
        }
    }

    /** The pool's counts as its Secret's annotation last carried them (what status.accounts shows). */
    List<AccountPoolState.Entry> published() {
        return published;
    }

    /** The account a request goes to, skipping those already tried for it. */
    Choice choose(RealCredentials.Kind presented, Set<String> tried, Instant now) {
        Instant earliest = null;
        boolean relogin = false;
        for (Account a : candidates(presented)) {
            Slot s = slot(a.name());
            if (a.disabled()) {
                continue; // the owner turned it off
            } else if (needsLogin(a, s)) {
                relogin = true;
            } else if (tried.contains(a.name())) {
                continue;
            } else if (s.coolingUntil.isAfter(now)) {
                earliest = earliest == null || s.coolingUntil.isBefore(earliest) ? s.coolingUntil : earliest;
            } else {
                return new Choice.Use(a);
            }
        }
        if (earliest != null) {
            return new Choice.AllCoolingDown(earliest);
        }
        return new Choice.Unusable(
                relogin
                        ? "every account of Secret " + secretName
                                + " needs a new login (POST /collab/accounts/{owner}/login, or upload new credentials)"
                        : "the credential Secret " + secretName + " holds no usable (enabled) Anthropic credential");
    }

    /** Whether a request that failed on the accounts in {@code tried} has another account to go to now. */
    boolean hasAnother(RealCredentials.Kind presented, Set<String> tried, Instant now) {
        return choose(presented, tried, now) instanceof Choice.Use;
    }

    /**
     * accounts.json: every account in order. Single-account keys: one account, of the kind the session presented
     * when the Secret has it (as in issue 14), so no request changes billing behind the owner's back.
     */
    private List<Account> candidates(RealCredentials.Kind presented) {
        CredentialAccounts.Accounts now = accounts;
        if (now.pool() || now.list().size() < 2) {
            return now.list();
        }
        CredentialAccounts.Type wanted = presented == RealCredentials.Kind.BEARER
                ? CredentialAccounts.Type.OAuth
                : CredentialAccounts.Type.ApiKey;
        return now.list().stream().filter(a -> a.type() == wanted).limit(1).toList();
    }

    private static boolean needsLogin(Account a, Slot s) {
        return s.reloginCredential != null && s.reloginCredential.equals(a.fingerprint());
    }

    void coolDown(Account a, Instant until, String reason) {
        Slot s = slot(a.name());
        if (until.isAfter(s.coolingUntil)) {
            s.coolingUntil = until;
            s.coolingReason = reason;
            s.dirty = true;
        }
    }

    void reloginRequired(Account a, String message) {
        Slot s = slot(a.name());
        s.reloginCredential = a.fingerprint();
        s.reloginMessage = message;
        s.dirty = true;
    }

    void count(Account a, Usage usage) {
        Slot s = slot(a.name());
        s.requests.incrementAndGet();
        if (usage != null) {
            s.inputTokens.addAndGet(usage.inputTokens());
            s.outputTokens.addAndGet(usage.outputTokens());
        }
        s.dirty = true;
    }

    /**
     * The annotation entries after adding this gateway's unwritten counts and state to {@code current} (what the
     * Secret holds now); {@code takeCounts} moves the counts out (they are written exactly once), without it the
     * counts stay pending and only the states change.
     */
    List<AccountPoolState.Entry> merged(List<AccountPoolState.Entry> current, Instant now, boolean takeCounts) {
        List<AccountPoolState.Entry> out = new ArrayList<>();
        String day = AccountPoolState.day(now);
        for (Account a : accounts.list()) {
            AccountPoolState.Entry old = current.stream()
                    .filter(e -> a.name().equals(e.name()))
                    .findFirst()
                    .orElse(new AccountPoolState.Entry(a.name(), AccountStatus.ACTIVE, null, null, null, 0, 0, 0));
            Slot s = slot(a.name());
            long req = takeCounts ? s.requests.getAndSet(0) : 0;
            long in = takeCounts ? s.inputTokens.getAndSet(0) : 0;
            long outTokens = takeCounts ? s.outputTokens.getAndSet(0) : 0;
            String state = AccountStatus.ACTIVE;
            String until = null;
            String message = null;
            String credential = null;
            if (needsLogin(a, s)) {
                state = AccountStatus.RELOGIN_REQUIRED;
                message = s.reloginMessage;
                credential = s.reloginCredential;
            } else if (s.coolingUntil.isAfter(now)) {
                state = AccountStatus.COOLING_DOWN;
                until = s.coolingUntil.toString();
                message = s.coolingReason;
            }
            out.add(new AccountPoolState.Entry(
                    a.name(),
                    state,
                    until,
                    message,
                    credential,
                    old.requests() + req,
                    old.inputTokens() + in,
                    old.outputTokens() + outTokens,
                    old.todayOn(day).plus(req, in, outTokens)));
        }
        return out;
    }

    /** Counts taken by {@link #merged} that could not be written: back into the pending counts. */
    void restore(List<AccountPoolState.Entry> written, List<AccountPoolState.Entry> before) {
        for (AccountPoolState.Entry w : written) {
            AccountPoolState.Entry b = before.stream()
                    .filter(e -> w.name().equals(e.name()))
                    .findFirst()
                    .orElse(new AccountPoolState.Entry(w.name(), null, null, null, null, 0, 0, 0));
            Slot s = slot(w.name());
            s.requests.addAndGet(w.requests() - b.requests());
            s.inputTokens.addAndGet(w.inputTokens() - b.inputTokens());
            s.outputTokens.addAndGet(w.outputTokens() - b.outputTokens());
            s.dirty = true;
        }
    }

    boolean dirty() {
        return slots.values().stream().anyMatch(s -> s.dirty);
    }

    void markDirty() {
        accounts.list().forEach(a -> slot(a.name()).dirty = true);
    }

    void clean() {
        slots.values().forEach(s -> s.dirty = false);
    }
}

package dev.collab.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Pure: the state of a credential Secret's accounts, which the credential gateway keeps in the Secret's annotation
 * {@code collab.dev/accounts} (JSON list, no secret value) and the operator turns into status.accounts and the
 * ReloginRequired condition. ReloginRequired names the credential it was found on by fingerprint, so an upload of new
 * credentials clears it at once, before any gateway writes again.
 */
public final class AccountPoolState {
    public static final String ANNOTATION = "collab.dev/accounts";

    /** One account in the annotation: AccountStatus fields plus the fingerprint of the revoked credential. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Entry(
            String name,
            String state,
            String until,
            String message,
            String credential,
            long requests,
            long inputTokens,
            long outputTokens,
            Today today) {
        public Entry(
                String name,
                String state,
                String until,
                String message,
                String credential,
                long requests,
                long inputTokens,
                long outputTokens) {
            this(name, state, until, message, credential, requests, inputTokens, outputTokens, null);
        }

        /** The counts of {@code day} only (UTC), or zero when the entry's day is another one. */
        public Today todayOn(String day) {
            return today != null && day.equals(today.day()) ? today : new Today(day, 0, 0, 0);
        }
    }

    /** An account's counts of one UTC day (yyyy-MM-dd), beside its totals: what "usage today" shows. */
    public record Today(String day, long requests, long inputTokens, long outputTokens) {
        public Today plus(long moreRequests, long moreInput, long moreOutput) {
            return new Today(day, requests + moreRequests, inputTokens + moreInput, outputTokens + moreOutput);
        }
    }

    /** The UTC day of {@code now} as the annotation names it. */
    public static String day(Instant now) {
        return now.atOffset(java.time.ZoneOffset.UTC).toLocalDate().toString();
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private AccountPoolState() {}

    public static List<Entry> read(Secret secret) {
        Map<String, String> annotations = secret == null || secret.getMetadata() == null
                ? null
                : secret.getMetadata().getAnnotations();
        String raw = annotations == null ? null : annotations.get(ANNOTATION);
        if (raw == null) {
            return List.of();
        }
        try {
            List<Entry> entries = JSON.readValue(raw, new TypeReference<List<Entry>>() {});
            return entries == null ? List.of() : entries;
        } catch (IOException e) {
            return List.of(); // hand-edited into something else: the gateway rewrites it
        }
    }

    public static String write(List<Entry> entries) {
        try {
            return JSON.writeValueAsString(entries);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Every account of the Secret as it stands at {@code now}: a cooldown that has passed is Active again, and
     * ReloginRequired holds only while the account still carries the credential it was found on.
     */
    public static List<AccountStatus> effective(Secret secret, Instant now) {
        CredentialAccounts.Accounts accounts = CredentialAccounts.of(secret == null ? null : secret.getData());
        List<Entry> entries = read(secret);
        List<AccountStatus> out = new ArrayList<>();
        for (CredentialAccounts.Account a : accounts.list()) {
            Entry e = entries.stream()
                    .filter(x -> a.name().equals(x.name()))
                    .findFirst()
                    .orElse(null);
            AccountStatus s = new AccountStatus(a.name(), a.type().name(), AccountStatus.ACTIVE, null, null);
            if (a.disabled()) {
                s.setState(AccountStatus.DISABLED);
            }
            if (e != null) {
                s.setRequests(e.requests());
                s.setInputTokens(e.inputTokens());
                s.setOutputTokens(e.outputTokens());
                if (a.disabled()) {
                    // the owner turned it off: no other state applies until it is enabled again
                } else if (AccountStatus.RELOGIN_REQUIRED.equals(e.state())
                        && a.fingerprint().equals(e.credential())) {
                    s.setState(AccountStatus.RELOGIN_REQUIRED);
                    s.setMessage(e.message());
                } else if (AccountStatus.COOLING_DOWN.equals(e.state()) && after(e.until(), now)) {
                    s.setState(AccountStatus.COOLING_DOWN);
                    s.setUntil(e.until());
                    s.setMessage(e.message());
                }
            }
            out.add(s);
        }
        return out;
    }

    /**
     * The accounts of {@code states} (name, type, state, until, message as the operator shows them) with the counts
     * (requests, input and output tokens) of the entry of the same name in {@code counted}, where there is one. The
     * counts in status.accounts are the gateway's to write, with its usage write, so a count that changes on every
     * request never makes the operator write the status of every session sharing the Secret (issue 30).
     */
    public static List<AccountStatus> countsFrom(List<AccountStatus> states, List<AccountStatus> counted) {
        return merged(states, counted, false);
    }

    /**
     * The same, each count the higher of the two: the counts are totals that only grow, so of two writers' values the
     * higher is the later one.
     */
    public static List<AccountStatus> higherCounts(List<AccountStatus> states, List<AccountStatus> counted) {
        return merged(states, counted, true);
    }

    private static List<AccountStatus> merged(List<AccountStatus> states, List<AccountStatus> counted, boolean max) {
        if (states == null || counted == null) {
            return states;
        }
        List<AccountStatus> out = new ArrayList<>();
        for (AccountStatus s : states) {
            AccountStatus copy =
                    new AccountStatus(s.getName(), s.getType(), s.getState(), s.getUntil(), s.getMessage());
            copy.setRequests(s.getRequests());
            copy.setInputTokens(s.getInputTokens());
            copy.setOutputTokens(s.getOutputTokens());
            counted.stream()
                    .filter(c -> s.getName().equals(c.getName()))
                    .findFirst()
                    .ifPresent(c -> {
                        copy.setRequests(max ? Math.max(c.getRequests(), s.getRequests()) : c.getRequests());
                        copy.setInputTokens(
                                max ? Math.max(c.getInputTokens(), s.getInputTokens()) : c.getInputTokens());
                        copy.setOutputTokens(
                                max ? Math.max(c.getOutputTokens(), s.getOutputTokens()) : c.getOutputTokens());
                    });
            out.add(copy);
        }
        return out;
    }

    /** The totals the annotation holds, one status entry (name and counts only) per account. */
    public static List<AccountStatus> counts(List<Entry> entries) {
        List<AccountStatus> out = new ArrayList<>();
        for (Entry e : entries) {
            AccountStatus s = new AccountStatus(e.name(), null, null, null, null);
            s.setRequests(e.requests());
            s.setInputTokens(e.inputTokens());
            s.setOutputTokens(e.outputTokens());
            out.add(s);
        }
        return out;
    }

    private static boolean after(String time, Instant now) {
        try {
            return time != null && Instant.parse(time).isAfter(now);
        } catch (DateTimeParseException e) {
            return false;
        }
    }
}

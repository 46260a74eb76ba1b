package dev.collab.router;

import dev.collab.api.AccountPoolState;
import dev.collab.api.AccountStatus;
import dev.collab.api.CredentialAccounts;
import io.fabric8.kubernetes.api.model.Secret;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * Pure: what the accounts API shows of a pool Secret: each account's name, type, state (as status.accounts reads it,
 * plus Disabled), cooldown, last error, usage in all and today (UTC), and when an OAuth access token expires. Never a
 * credential value: the entries are built from names, states and counts only.
 */
final class AccountListing {
    private AccountListing() {}

    static JsonObject of(String owner, OwnerPools.Pool pool, Secret secret, Instant now) {
        List<AccountStatus> states = AccountPoolState.effective(secret, now);
        List<AccountPoolState.Entry> entries = AccountPoolState.read(secret);
        CredentialAccounts.Accounts accounts = CredentialAccounts.of(secret == null ? null : secret.getData());
        String day = AccountPoolState.day(now);
        JsonArray list = new JsonArray();
        for (AccountStatus s : states) {
            AccountPoolState.Today today = entries.stream()
                    .filter(e -> s.getName().equals(e.name()))
                    .findFirst()
                    .map(e -> e.todayOn(day))
                    .orElse(new AccountPoolState.Today(day, 0, 0, 0));
            JsonObject a = new JsonObject()
                    .put("name", s.getName())
                    .put("type", s.getType())
                    .put("state", s.getState())
                    .put("requests", s.getRequests())
                    .put("inputTokens", s.getInputTokens())
                    .put("outputTokens", s.getOutputTokens())
                    .put(
                            "today",
                            new JsonObject()
                                    .put("day", today.day())
                                    .put("requests", today.requests())
                                    .put("inputTokens", today.inputTokens())
                                    .put("outputTokens", today.outputTokens()));
            putIfSet(a, "until", s.getUntil());
            putIfSet(a, "message", s.getMessage());
            accounts.named(s.getName())
                    .filter(x -> x.expiresAt() > 0)
                    .ifPresent(x -> a.put(
                            "expiresAt", Instant.ofEpochMilli(x.expiresAt()).toString()));
            list.add(a);
        }
        return new JsonObject()
                .put("owner", owner)
                .put("namespace", pool.namespace())
                .put("secret", pool.secret())
                .put("pool", accounts.pool())
                .put("accounts", list);
    }

    private static void putIfSet(JsonObject o, String key, String value) {
        if (value != null) {
            o.put(key, value);
        }
    }
}

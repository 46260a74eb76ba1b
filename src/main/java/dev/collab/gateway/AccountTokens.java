package dev.collab.gateway;

import dev.collab.api.CredentialAccounts;
import dev.collab.api.CredentialAccounts.Account;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The credential a request sends for an account: an api key as it is, an OAuth access token as it is while it is
 * valid (within refresh-ahead of its expiry a refresh starts and the request does not wait for it), refreshed
 * first once it has expired. Concurrent requests of this replica for the same account share one refresh; replicas
 * share through {@link OAuthRefresher}'s claim on the Secret.
 */
final class AccountTokens {
    private final Vertx vertx;
    private final OAuthRefresher refresher;
    private final Map<String, Future<Account>> inFlight = new ConcurrentHashMap<>();

    AccountTokens(Vertx vertx, OAuthRefresher refresher) {
        this.vertx = vertx;
        this.refresher = refresher;
    }

    Future<RealCredentials.Credential> credential(AccountPool pool, Account account) {
        if (account.type() == CredentialAccounts.Type.ApiKey) {
            return Future.succeededFuture(
                    new RealCredentials.Credential(RealCredentials.Kind.API_KEY, account.apiKey()));
        }
        RealCredentials.Credential current =
                new RealCredentials.Credential(RealCredentials.Kind.BEARER, account.access());
        if (!refresher.due(account)) {
            return Future.succeededFuture(current);
        }
        String key = pool.namespace() + "/" + pool.secretName() + "/" + account.name();
        Future<Account> refreshed = inFlight.computeIfAbsent(
                key,
                k -> vertx.<Account>executeBlocking(() -> refresher.refresh(pool, account.name()), false)
                        .onComplete(ar -> inFlight.remove(k)));
        if (refresher.stillValid(account)) {
            return Future.succeededFuture(current); // the refresh runs meanwhile; this request need not wait
        }
        return refreshed.map(a -> new RealCredentials.Credential(RealCredentials.Kind.BEARER, a.access()));
    }
}

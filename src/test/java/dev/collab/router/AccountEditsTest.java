package dev.collab.router;

import static dev.collab.router.RouterTestSupport.b64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.collab.api.CollabSession;
import dev.collab.api.CollabSessionSpec;
import dev.collab.api.CredentialAccounts;
import dev.collab.api.CredentialAccounts.Account;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pool edits and the choice of the pool Secret: pure. */
class AccountEditsTest {
    static final Map<String, String> POOL = Map.of(
            CredentialAccounts.KEY,
            b64("{\"accounts\":[{\"name\":\"a\",\"type\":\"api\",\"key\":\"ka\",\"note\":\"kept\"},"
                    + "{\"name\":\"b\",\"type\":\"oauth\",\"access\":\"xb\",\"refresh\":\"rb\",\"expires\":5}],"
                    + "\"version\":1}"),
            "auth.json",
            b64("{}"));

    @Test
    void aLoginAddsAtTheEndOrReplacesInPlaceKeepingOtherFields() {
        Map<String, String> added = AccountEdits.loggedIn(POOL, "c", "xc", "rc", 9);
        assertThat(accounts(added)).extracting(Account::name).containsExactly("a", "b", "c");
        Map<String, String> again = AccountEdits.loggedIn(added, "b", "xb2", "rb2", 10);
        List<Account> list = accounts(again);
        assertThat(list).extracting(Account::name).containsExactly("a", "b", "c");
        assertThat(list.get(1))
                .extracting(Account::access, Account::refresh, Account::expiresAt)
                .containsExactly("xb2", "rb2", 10L);
        String json = new String(java.util.Base64.getDecoder().decode(again.get(CredentialAccounts.KEY)));
        assertThat(json).contains("\"note\":\"kept\"").contains("\"version\":1");
        assertThat(again).containsEntry("auth.json", b64("{}"));
        // an api-key account logged in by OAuth becomes an OAuth account
        assertThat(accounts(AccountEdits.loggedIn(POOL, "a", "xa", "ra", 1))
                        .get(0)
                        .type())
                .isEqualTo(CredentialAccounts.Type.OAuth);
        assertThat(AccountEdits.freeName(added)).isEqualTo("account-1");
        assertThat(AccountEdits.freeName(AccountEdits.loggedIn(Map.of(), "account-1", "x", "r", 1)))
                .isEqualTo("account-2");
    }

    @Test
    void singleAccountKeysAreCarriedIntoThePool() {
        Map<String, String> single = Map.of(
                "claude-credentials.json",
                b64("{\"claudeAiOauth\":{\"accessToken\":\"xs\",\"refreshToken\":\"rs\",\"expiresAt\":3}}"),
                "auth.json",
                b64("{\"anthropic\":{\"type\":\"api\",\"key\":\"kk\"}}"));
        List<Account> list = accounts(AccountEdits.loggedIn(single, "new", "xn", "rn", 1));
        assertThat(list).extracting(Account::name).containsExactly("subscription", "api-key", "new");
        assertThat(list.get(0).refresh()).isEqualTo("rs");
        assertThat(list.get(1).apiKey()).isEqualTo("kk");
    }

    @Test
    void removeOrderAndDisableNameExistingAccounts() {
        assertThat(accounts(AccountEdits.removed(POOL, "a")))
                .extracting(Account::name)
                .containsExactly("b");
        assertThat(accounts(AccountEdits.ordered(POOL, List.of("b", "a"))))
                .extracting(Account::name)
                .containsExactly("b", "a");
        Map<String, String> off = AccountEdits.disabled(POOL, "b", true);
        assertThat(accounts(off).get(1).disabled()).isTrue();
        assertThat(accounts(AccountEdits.disabled(off, "b", false)).get(1).disabled())
                .isFalse();
        refused(() -> AccountEdits.removed(POOL, "zz"), 404);
        refused(() -> AccountEdits.disabled(POOL, "zz", true), 404);
        refused(() -> AccountEdits.ordered(POOL, List.of("a")), 409);
        refused(() -> AccountEdits.ordered(POOL, List.of("a", "a")), 409);
        refused(() -> AccountEdits.ordered(POOL, List.of("a", "b", "c")), 409);
    }

    @Test
    void noncesAreRecordedAndExpiredOnesDropped() {
        Map<String, String> one = AccountEdits.withNonce(Map.of("other", "x"), "n1", 100, 50);
        assertThat(AccountEdits.nonceUsed(one, "n1")).isTrue();
        assertThat(AccountEdits.nonceUsed(one, "n2")).isFalse();
        Map<String, String> two = AccountEdits.withNonce(one, "n2", 300, 200);
        assertThat(AccountEdits.nonceUsed(two, "n1"))
                .as("expired at 100, dropped at 200")
                .isFalse();
        assertThat(AccountEdits.nonceUsed(two, "n2")).isTrue();
        assertThat(two).containsEntry("other", "x");
        assertThat(AccountEdits.nonceUsed(Map.of(AccountEdits.NONCES, "not json"), "n1"))
                .isFalse();
    }

    @Test
    void thePoolIsTheSecretTheOwnersSessionsName() {
        List<CollabSession> one = List.of(session("team", "s1", "creds"), session("team", "s2", "creds"));
        assertThat(OwnerPools.target(one, null)).isEqualTo(new OwnerPools.Pool("team", "creds"));
        List<CollabSession> two = List.of(session("team", "s1", "creds"), session("lab", "s3", "creds"));
        refused(() -> OwnerPools.target(two, null), 409);
        refused(() -> OwnerPools.target(two, "creds"), 409);
        assertThat(OwnerPools.target(two, "lab/creds")).isEqualTo(new OwnerPools.Pool("lab", "creds"));
        refused(() -> OwnerPools.target(two, "team/someone-elses"), 404);
        refused(() -> OwnerPools.target(List.of(), null), 404);
    }

    private static CollabSession session(String ns, String name, String secret) {
        return new CollabSession(ns, name, new CollabSessionSpec("alice", secret));
    }

    private static List<Account> accounts(Map<String, String> data) {
        CredentialAccounts.Accounts a = CredentialAccounts.of(data);
        assertThat(a.pool()).isTrue();
        return a.list();
    }

    private static void refused(Runnable edit, int status) {
        assertThatThrownBy(edit::run)
                .isInstanceOfSatisfying(
                        AccountEdits.Refused.class, r -> assertThat(r.status).isEqualTo(status));
    }
}

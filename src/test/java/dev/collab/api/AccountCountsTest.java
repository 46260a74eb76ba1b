package dev.collab.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 30, item 9: the counts of status.accounts are the gateway's; the operator's states never roll them back. */
class AccountCountsTest {
    private static AccountStatus account(String name, String state, long requests) {
        AccountStatus a = new AccountStatus(name, "ApiKey", state, null, null);
        a.setRequests(requests);
        a.setInputTokens(requests * 10);
        a.setOutputTokens(requests * 2);
        return a;
    }

    @Test
    void statesFromOneListCountsFromTheOther() {
        List<AccountStatus> states =
                List.of(account("work", AccountStatus.COOLING_DOWN, 3), account("new", "Active", 1));
        List<AccountStatus> merged = AccountPoolState.countsFrom(states, List.of(account("work", "Active", 40)));
        assertThat(merged)
                .extracting(AccountStatus::getName, AccountStatus::getState, AccountStatus::getRequests)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("work", AccountStatus.COOLING_DOWN, 40L),
                        org.assertj.core.groups.Tuple.tuple("new", "Active", 1L));
        assertThat(merged.get(0).getInputTokens()).isEqualTo(400);
        assertThat(states.get(0).getRequests()).as("inputs unchanged").isEqualTo(3);
    }

    @Test
    void higherCountsKeepsTheLaterOfTwoWriters() {
        List<AccountStatus> merged = AccountPoolState.higherCounts(
                List.of(account("work", "Active", 7), account("max", "Active", 2)),
                List.of(account("work", "Active", 5), account("max", "Active", 9)));
        assertThat(merged).extracting(AccountStatus::getRequests).containsExactly(7L, 9L);
    }
}

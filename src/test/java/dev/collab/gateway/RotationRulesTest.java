package dev.collab.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.AccountPoolState;
import dev.collab.api.AccountStatus;
import dev.collab.api.CredentialAccounts.Account;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Pure rules of account pools: reset times, the stream gate, account choice and what an upload clears. */
class RotationRulesTest {
    private static final Instant NOW = Instant.parse("2026-11-30T10:00:00Z");
    private static final Duration DEFAULT = Duration.ofSeconds(60);

    @Test
    void resetTimesComeFromRetryAfterThenProviderHeadersThenTheDefault() {
        assertThat(RateLimits.resetAt(headers("retry-after", "30"), NOW, DEFAULT))
                .isEqualTo(NOW.plusSeconds(30));
        assertThat(RateLimits.resetAt(headers("retry-after", "Mon, 30 Nov 2026 10:05:00 GMT"), NOW, DEFAULT))
                .isEqualTo(NOW.plusSeconds(300));
        assertThat(RateLimits.resetAt(
                        headers("anthropic-ratelimit-unified-reset", Long.toString(NOW.getEpochSecond() + 3600)),
                        NOW,
                        DEFAULT))
                .isEqualTo(NOW.plusSeconds(3600));
        assertThat(RateLimits.resetAt(
                        headers(
                                "anthropic-ratelimit-tokens-remaining", "0",
                                "anthropic-ratelimit-tokens-reset", "2026-11-30T10:02:00Z",
                                "anthropic-ratelimit-requests-remaining", "40",
                                "anthropic-ratelimit-requests-reset", "2026-11-30T10:00:05Z"),
                        NOW,
                        DEFAULT))
                .as("the exhausted limit's reset, not another one's")
                .isEqualTo(NOW.plusSeconds(120));
        assertThat(RateLimits.resetAt(headers(), NOW, DEFAULT)).isEqualTo(NOW.plus(DEFAULT));
        assertThat(RateLimits.exhausted(429)).isTrue();
        assertThat(RateLimits.exhausted(529)).isTrue();
        assertThat(RateLimits.exhausted(500)).isFalse();
    }

    @Test
    void theGateHoldsUntilContentAndRejectsOnlyAnExhaustedAccountError() {
        StreamGate gate = new StreamGate();
        assertThat(gate.feed(Buffer.buffer("event: message_start\ndata: {\"type\":\"message_start\"}\n\nevent: pi")))
                .isEqualTo(StreamGate.Verdict.HOLD);
        assertThat(gate.feed(Buffer.buffer("ng\ndata: {\"type\":\"ping\"}\n\n")))
                .isEqualTo(StreamGate.Verdict.HOLD);
        assertThat(
                        gate.feed(
                                Buffer.buffer(
                                        "event: error\r\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}\r\n\r\n")))
                .isEqualTo(StreamGate.Verdict.REJECT);
        assertThat(gate.rejectedType()).isEqualTo("overloaded_error");

        StreamGate content = new StreamGate();
        content.feed(Buffer.buffer("event: message_start\ndata: {\"type\":\"message_start\"}\n\n"));
        assertThat(content.feed(
                        Buffer.buffer("event: content_block_start\ndata: {\"type\":\"content_block_start\"}\n\n")))
                .isEqualTo(StreamGate.Verdict.RELEASE);
        assertThat(content.held().toString()).startsWith("event: message_start").contains("content_block_start");

        StreamGate otherError = new StreamGate();
        assertThat(otherError.feed(Buffer.buffer(
                        "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\"}}\n\n")))
                .as("other errors are the client's to see")
                .isEqualTo(StreamGate.Verdict.RELEASE);
        assertThat(new StreamGate().feed(Buffer.buffer(new byte[StreamGate.MAX_HELD + 1])))
                .isEqualTo(StreamGate.Verdict.RELEASE);
    }

    @Test
    void aPoolStaysOnItsFirstAccountSkipsCoolingOnesAndReportsTheEarliestReset() {
        AccountPool pool = new AccountPool("ns", "s", "o");
        pool.update(secret(
                "{\"accounts\":[{\"name\":\"a\",\"type\":\"api\",\"key\":\"k1\"},"
                        + "{\"name\":\"b\",\"type\":\"api\",\"key\":\"k2\"},{\"name\":\"a\",\"type\":\"api\",\"key\":\"dup\"}]}",
                null));
        assertThat(pool.accounts().list()).extracting(a -> a.name()).containsExactly("a", "b");
        assertThat(use(pool, Set.of())).isEqualTo("a");
        assertThat(use(pool, Set.of("a"))).isEqualTo("b");
        pool.coolDown(pool.accounts().list().get(0), NOW.plusSeconds(100), "HTTP 429");
        assertThat(use(pool, Set.of())).isEqualTo("b");
        pool.coolDown(pool.accounts().list().get(1), NOW.plusSeconds(50), "HTTP 429");
        assertThat(pool.choose(RealCredentials.Kind.API_KEY, Set.of(), NOW))
                .isEqualTo(new AccountPool.Choice.AllCoolingDown(NOW.plusSeconds(50)));
        assertThat(pool.choose(RealCredentials.Kind.API_KEY, Set.of(), NOW.plusSeconds(100)))
                .isEqualTo(new AccountPool.Choice.Use(pool.accounts().list().get(0)));
    }

    @Test
    void anotherReplicasCooldownIsRespectedAndAReloginHoldsOnlyForTheRefusedCredential() {
        String pool = "{\"accounts\":[{\"name\":\"a\",\"type\":\"api\",\"key\":\"k1\"},"
                + "{\"name\":\"b\",\"type\":\"oauth\",\"access\":\"x\",\"refresh\":\"r1\"}]}";
        String fingerprint = dev.collab.api.CredentialAccounts.of(
                        secret(pool, null).getData())
                .named("b")
                .orElseThrow()
                .fingerprint();
        String annotation = AccountPoolState.write(List.of(
                new AccountPoolState.Entry(
                        "a", "CoolingDown", NOW.plusSeconds(30).toString(), "HTTP 429", null, 1, 2, 3),
                new AccountPoolState.Entry("b", "ReloginRequired", null, "refused", fingerprint, 0, 0, 0)));
        AccountPool p = new AccountPool("ns", "s", "o");
        p.update(secret(pool, annotation));
        assertThat(p.choose(RealCredentials.Kind.API_KEY, Set.of(), NOW))
                .isEqualTo(new AccountPool.Choice.AllCoolingDown(NOW.plusSeconds(30)));
        assertThat(AccountPoolState.effective(secret(pool, annotation), NOW))
                .extracting(AccountStatus::getState)
                .containsExactly("CoolingDown", "ReloginRequired");
        String uploaded = pool.replace("r1", "r2");
        assertThat(AccountPoolState.effective(secret(uploaded, annotation), NOW.plusSeconds(31)))
                .extracting(AccountStatus::getState)
                .containsExactly("Active", "Active");
        p.update(secret(uploaded, annotation));
        assertThat(use(p, Set.of("a"))).isEqualTo("b");
    }

    @Test
    void aDisabledAccountIsNeverChosenAndShowsDisabledAndUsageTodayIsKeptPerUtcDay() {
        String pool = "{\"accounts\":[{\"name\":\"a\",\"type\":\"api\",\"key\":\"k1\",\"disabled\":true},"
                + "{\"name\":\"b\",\"type\":\"api\",\"key\":\"k2\"}]}";
        AccountPool p = new AccountPool("ns", "s", "o");
        p.update(secret(pool, null));
        assertThat(use(p, Set.of())).as("the owner turned a off").isEqualTo("b");
        assertThat(p.choose(RealCredentials.Kind.API_KEY, Set.of("b"), NOW))
                .isInstanceOf(AccountPool.Choice.Unusable.class);
        assertThat(AccountPoolState.effective(secret(pool, null), NOW))
                .extracting(AccountStatus::getState)
                .containsExactly(AccountStatus.DISABLED, AccountStatus.ACTIVE);

        Account b = p.accounts().list().get(1);
        p.count(b, new Usage("m", 10, 20, 0, 0));
        List<AccountPoolState.Entry> first = p.merged(List.of(), NOW, true);
        assertThat(first.get(1).todayOn(AccountPoolState.day(NOW)))
                .isEqualTo(new AccountPoolState.Today("2026-11-30", 1, 10, 20));
        p.count(b, new Usage("m", 1, 2, 0, 0));
        List<AccountPoolState.Entry> sameDay = p.merged(first, NOW.plusSeconds(60), true);
        assertThat(sameDay.get(1).today()).isEqualTo(new AccountPoolState.Today("2026-11-30", 2, 11, 22));
        p.count(b, new Usage("m", 1, 2, 0, 0));
        java.time.Instant tomorrow = java.time.Instant.parse("2026-12-01T00:00:01Z");
        List<AccountPoolState.Entry> nextDay = p.merged(sameDay, tomorrow, true);
        assertThat(nextDay.get(1).today()).isEqualTo(new AccountPoolState.Today("2026-12-01", 1, 1, 2));
        assertThat(nextDay.get(1).requests()).as("the total goes on").isEqualTo(3);
        assertThat(AccountPoolState.read(secret(pool, AccountPoolState.write(nextDay))))
                .as("today survives the annotation's round trip")
                .isEqualTo(nextDay);
    }

    private static String use(AccountPool pool, Set<String> tried) {
        return ((AccountPool.Choice.Use) pool.choose(RealCredentials.Kind.API_KEY, tried, NOW))
                .account()
                .name();
    }

    private static Secret secret(String accounts, String annotation) {
        SecretBuilder b = new SecretBuilder()
                .withNewMetadata()
                .withName("s")
                .endMetadata()
                .addToData(
                        "accounts.json", Base64.getEncoder().encodeToString(accounts.getBytes(StandardCharsets.UTF_8)));
        if (annotation != null) {
            b.editMetadata()
                    .addToAnnotations(AccountPoolState.ANNOTATION, annotation)
                    .endMetadata();
        }
        return b.build();
    }

    private static MultiMap headers(String... kv) {
        MultiMap m = MultiMap.caseInsensitiveMultiMap();
        for (int i = 0; i < kv.length; i += 2) {
            m.add(kv[i], kv[i + 1]);
        }
        return m;
    }
}

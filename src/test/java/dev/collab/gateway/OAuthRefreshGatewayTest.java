package dev.collab.gateway;

import static dev.collab.gateway.PoolGatewayFixture.NS;
import static dev.collab.gateway.PoolGatewayFixture.await;
import static dev.collab.gateway.PoolGatewayFixture.oauth;
import static org.assertj.core.api.Assertions.assertThat;

import dev.collab.api.AccountStatus;
import dev.collab.api.CredentialAccounts;
import dev.collab.api.EventReasons;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OAuth accounts through {@link PoolGatewayFixture}: the Fabric8 mock API server, two gateway replicas, and
 * {@link ScriptedAnthropic} faking both the provider and Claude's rotating token endpoint (a refresh token works
 * once). Each session's only account expired a millisecond before the fixture's clock.
 */
@EnableKubernetesMockClient(crud = true)
class OAuthRefreshGatewayTest {
    static KubernetesMockServer server;
    static KubernetesClient client;
    private static PoolGatewayFixture f;
    private static final long EXPIRED = Instant.parse("2026-11-30T10:00:00Z").toEpochMilli() - 1;

    @BeforeAll
    static void start() throws Exception {
        Map<String, String> sessions = new LinkedHashMap<>();
        for (String s : List.of("refresh", "race", "revoked", "slow")) {
            sessions.put(s, oauth(s, 1, EXPIRED));
        }
        sessions.put("ahead", oauth("ahead", 1, EXPIRED + 61_000)); // expires in a minute: within refresh-ahead
        f = new PoolGatewayFixture(server, client, sessions);
    }

    @AfterAll
    static void stop() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void anExpiredTokenIsRefreshedOnceAndTheRotatedRefreshTokenIsWrittenBack() {
        HttpResponse<String> r = f.send(0, "refresh");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(f.provider.refreshes()).containsOnlyOnce("ort-refresh-0001-x");
        assertThat(f.callsOf("refresh")).containsExactly("oat-refresh-0002-rotated");
        CredentialAccounts.Account a = f.account("refresh");
        assertThat(a.refresh()).isEqualTo("ort-refresh-0002-rotated");
        assertThat(a.expiresAt()).isEqualTo(f.clock.millis() + 28_800_000L);
        assertThat(f.secret("refresh").getMetadata().getAnnotations().get(OAuthRefresher.CLAIMS))
                .as("the claim is released with the write-back")
                .isEqualTo("{}");
        assertThat(f.send(1, "refresh").statusCode())
                .as("the other replica uses the written-back token")
                .isEqualTo(200);
        assertThat(f.provider.refreshes())
                .filteredOn(t -> t.contains("refresh"))
                .hasSize(1);
    }

    @Test
    void aTokenAboutToExpireServesTheRequestWhileTheRefreshRuns() {
        assertThat(f.send(0, "ahead").statusCode()).isEqualTo(200);
        assertThat(f.callsOf("ahead")).containsExactly("oat-ahead-0001-x");
        await(
                "the refresh ran and was written back",
                () -> "ort-ahead-0002-rotated".equals(f.account("ahead").refresh()));
        await(
                "the next request uses the new token",
                () -> f.send(0, "ahead").statusCode() == 200
                        && f.callsOf("ahead").get(f.callsOf("ahead").size() - 1).equals("oat-ahead-0002-rotated"));
        assertThat(f.provider.refreshes()).filteredOn(t -> t.contains("ahead")).containsExactly("ort-ahead-0001-x");
    }

    @Test
    void twoReplicasRacingForTheSameAccountRefreshItOnce() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            all.add(java.net.http.HttpClient.newHttpClient()
                    .sendAsync(f.request(i % 2, "race"), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> r : all) {
            assertThat(r.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        assertThat(f.provider.refreshes()).filteredOn(t -> t.contains("race")).containsExactly("ort-race-0001-x");
        assertThat(f.callsOf("race")).hasSize(6).containsOnly("oat-race-0002-rotated");
        assertThat(f.account("race").refresh()).isEqualTo("ort-race-0002-rotated");
    }

    /**
     * Issue 30 item 8: the token endpoint answers later than the old 30 s claim lasted (the fixture's clock moves 35 s
     * while the call waits, within its 10 s connect + 30 s read timeouts). The other replica must keep waiting for
     * the write-back, not take the claim over and spend the same single-use refresh token.
     */
    @Test
    void aSlowTokenEndpointIsNotOutlivedByTheClaim() throws Exception {
        CompletableFuture<Void> release = f.provider.holdRefresh("ort-slow-0001-x");
        try {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            CompletableFuture<HttpResponse<String>> first =
                    http.sendAsync(f.request(0, "slow"), HttpResponse.BodyHandlers.ofString());
            await(
                    "replica 0 waits at the token endpoint",
                    () -> f.provider.refreshes().contains("ort-slow-0001-x"));
            f.clock.advance(Duration.ofSeconds(35));
            CompletableFuture<HttpResponse<String>> second =
                    http.sendAsync(f.request(1, "slow"), HttpResponse.BodyHandlers.ofString());
            Thread.sleep(1_500); // replica 1 reads the claim (every 100 ms); before the fix it took it over at once
            release.complete(null);
            assertThat(first.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(second.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        } finally {
            release.complete(null);
        }
        assertThat(f.provider.refreshes()).filteredOn(t -> t.contains("slow")).containsExactly("ort-slow-0001-x");
        assertThat(f.callsOf("slow")).containsOnly("oat-slow-0002-rotated");
        assertThat(f.account("slow").refresh()).isEqualTo("ort-slow-0002-rotated");
    }

    @Test
    void aRevokedRefreshTokenNeedsAReloginUntilAnUpload() {
        f.provider.revoke("ort-revoked-0001-x");
        HttpResponse<String> r = f.send(0, "revoked");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("needs a new login").doesNotContain("ort-");
        assertThat(f.state("revoked", "sub")).isEqualTo(AccountStatus.RELOGIN_REQUIRED);
        await(
                "a ReloginRequired Event on the session",
                () -> client.v1().events().inNamespace(NS).list().getItems().stream()
                        .anyMatch(e -> EventReasons.RELOGIN_REQUIRED.equals(e.getReason())
                                && "revoked".equals(e.getInvolvedObject().getName())
                                && !e.getMessage().contains("ort-")));
        await(
                "the other replica learns it from the Secret",
                () -> f.send(1, "revoked").statusCode() == 503
                        && f.send(1, "revoked").body().contains("needs a new login"));
        assertThat(f.provider.refreshes())
                .filteredOn(t -> t.contains("revoked"))
                .hasSize(1);

        // the collab app uploads new credentials (as the router's upload endpoint writes them)
        f.credentials("revoked", oauth("revoked", 5, EXPIRED));
        assertThat(f.state("revoked", "sub")).as("cleared by the upload itself").isEqualTo(AccountStatus.ACTIVE);
        await("the new login works", () -> f.send(0, "revoked").statusCode() == 200);
        assertThat(f.callsOf("revoked")).containsExactly("oat-revoked-0006-rotated");
    }
}

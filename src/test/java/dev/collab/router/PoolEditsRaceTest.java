package dev.collab.router;

import static dev.collab.router.RouterTestSupport.ADMIN_TOKEN;
import static dev.collab.router.RouterTestSupport.await;
import static dev.collab.router.RouterTestSupport.b64;
import static dev.collab.router.RouterTestSupport.createSession;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.collab.api.AccountPoolState;
import dev.collab.api.CollabLabels;
import dev.collab.api.CredentialAccounts;
import dev.collab.api.SecretWrites;
import dev.collab.testing.FakeAuthorizationServer;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Pool writes under concurrency: in each round two logins finish through the accounts API while a token refresh and a
 * rotation are written to the same Secret. Real: the router's login path and its guarded writes ({@link PoolWrites}),
 * the Fabric8 mock API server (CRUD; it refuses an update carrying a stale resourceVersion with 409). Stand-ins for
 * the gateway, named here: its refresh write-back (account {@code main}'s tokens) and its pool-state write (the
 * {@code collab.dev/accounts} annotation), made through the same {@link SecretWrites} guarded update and re-read on
 * 409 that the gateway's OAuthRefresher and PoolStateWriter use. Nothing written by any of them may be lost.
 */
@EnableKubernetesMockClient(crud = true)
class PoolEditsRaceTest {
    static final int ROUNDS = 8;
    static final String NS = "team";
    static final ObjectMapper JSON = new ObjectMapper();

    KubernetesMockServer server;
    KubernetesClient client;

    @Test
    void twoLoginsARefreshAndARotationAtOnceLoseNothing() throws Exception {
        RouterTestSupport.registerCrd(server);
        RouterTestSupport.createAdminSecret(client);
        createSession(client, NS, "alpha", "alice@example.com", "30m", "pw");
        client.secrets()
                .inNamespace(NS)
                .resource(new SecretBuilder()
                        .withNewMetadata()
                        .withName("alpha-creds")
                        .withLabels(CollabLabels.credentialSecretLabels("alice@example.com"))
                        .endMetadata()
                        .addToData(
                                CredentialAccounts.KEY,
                                b64("{\"accounts\":[{\"name\":\"main\",\"type\":\"oauth\",\"access\":\"a0\","
                                        + "\"refresh\":\"r0\",\"expires\":1}]}"))
                        .build())
                .create();
        Vertx vertx = Vertx.vertx();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (FakeAuthorizationServer provider = new FakeAuthorizationServer();
                RouterTestSupport.RunningRouter router = new RouterTestSupport.RunningRouter(
                        vertx,
                        client,
                        RouterTestSupport.settings(1 << 20, Duration.ofSeconds(5), Duration.ofSeconds(10))
                                .withLogin(new RouterSettings.AccountLogin(
                                        provider.authorizeUrl(),
                                        provider.tokenUrl(),
                                        FakeAuthorizationServer.CLIENT_ID,
                                        "https://provider.example/cb",
                                        "user:inference",
                                        Duration.ofMinutes(10))),
                        Clock.systemUTC())) {
            await(
                    "router synced",
                    () -> router.router.ready()
                            && router.router.directory().adminToken().isPresent());
            SecretWrites writes = new SecretWrites(client);
            for (int round = 1; round <= ROUNDS; round++) {
                // started (and approved) beforehand, so the four writes meet at the Secret
                String[] x = approved(router, provider, "x-" + round);
                String[] y = approved(router, provider, "y-" + round);
                int r = round;
                CountDownLatch go = new CountDownLatch(1);
                List<Future<?>> done = new ArrayList<>();
                done.add(pool.submit(gated(go, () -> finish(router, x))));
                done.add(pool.submit(gated(go, () -> finish(router, y))));
                done.add(pool.submit(gated(
                        go,
                        () -> guarded(
                                writes,
                                b -> b.withData(
                                        AccountEdits.loggedIn(b.build().getData(), "main", "a" + r, "r" + r, r))))));
                done.add(pool.submit(gated(
                        go,
                        () -> guarded(
                                writes,
                                b -> b.editMetadata()
                                        .addToAnnotations(
                                                AccountPoolState.ANNOTATION,
                                                AccountPoolState.write(List.of(new AccountPoolState.Entry(
                                                        "main",
                                                        "CoolingDown",
                                                        "2100-01-01T00:00:00Z",
                                                        "HTTP 429 (round " + r + ")",
                                                        null,
                                                        r,
                                                        r,
                                                        r))))
                                        .endMetadata()))));
                go.countDown();
                for (Future<?> f : done) {
                    f.get(60, TimeUnit.SECONDS);
                }
                Secret s =
                        client.secrets().inNamespace(NS).withName("alpha-creds").get();
                CredentialAccounts.Accounts accounts = CredentialAccounts.of(s.getData());
                assertThat(accounts.named("x-" + round))
                        .as("round %d: login x", round)
                        .isPresent();
                assertThat(accounts.named("y-" + round))
                        .as("round %d: login y", round)
                        .isPresent();
                assertThat(accounts.named("main").orElseThrow().refresh())
                        .as("round %d: the refresh write-back", round)
                        .isEqualTo("r" + round);
                assertThat(AccountPoolState.read(s).get(0).message())
                        .as("round %d: the rotation's state", round)
                        .contains("round " + round);
                assertThat(accounts.list())
                        .as("round %d: every earlier account", round)
                        .hasSize(1 + 2 * round);
            }
        } finally {
            pool.shutdownNow();
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    /** A started login of {@code account}, approved at the provider: {state, pasted code}. */
    private static String[] approved(
            RouterTestSupport.RunningRouter router, FakeAuthorizationServer provider, String account) throws Exception {
        JsonNode started = JSON.readTree(
                post(router, "/login", "{\"account\":\"" + account + "\"}").body());
        return new String[] {
            started.path("state").asText(),
            provider.approve(started.path("authorizeUrl").asText())
        };
    }

    private static void finish(RouterTestSupport.RunningRouter router, String[] login) throws Exception {
        HttpResponse<String> r = post(router, "/login/" + login[0], "{\"code\":\"" + login[1] + "\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    /** The gateway's rule: an update guarded by the resourceVersion read, read again on 409. */
    private static void guarded(SecretWrites writes, UnaryOperator<SecretBuilder> edit) {
        while (writes.update(writes.get(NS, "alpha-creds"), edit) == null) {
            Thread.onSpinWait();
        }
    }

    interface Step {
        void run() throws Exception;
    }

    private static Callable<Void> gated(CountDownLatch go, Step work) {
        return () -> {
            go.await();
            work.run();
            return null;
        };
    }

    private static HttpResponse<String> post(RouterTestSupport.RunningRouter router, String path, String body)
            throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(
                                        URI.create(router.base() + "/collab/accounts/alice%40example.com" + path))
                                .header("Authorization", "Bearer " + ADMIN_TOKEN)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }
}
